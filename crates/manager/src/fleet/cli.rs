//! `support-assistant manager agent add|list|revoke`.

use anyhow::{Context, bail};
use uuid::Uuid;

use crate::cli::{DataArgs, open_store};
use crate::storage::Storage;

#[derive(Debug, clap::Subcommand)]
pub enum AgentCommand {
    /// Adds a fleet agent for a customer and prints its one-time enrolment token
    /// (for `support-assistant agent enroll --manager URL --token TOKEN`).
    Add {
        /// The partner (name or id).
        #[arg(long)]
        partner: String,
        /// The customer whose network the agent runs on (name or id).
        #[arg(long)]
        customer: String,
        /// A name for the agent, shown in the console (e.g. the site).
        #[arg(long, default_value = "agent")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Lists a partner's agents: state, version, last contact.
    List {
        /// The partner (name or id).
        #[arg(long)]
        partner: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revokes an agent: its credential is refused from now on.
    Revoke {
        /// The partner (name or id).
        #[arg(long)]
        partner: String,
        /// The agent's id.
        #[arg(long)]
        agent: Uuid,
        #[command(flatten)]
        data: DataArgs,
    },
}

async fn partner_id(store: &dyn Storage, partner: &str) -> anyhow::Result<Uuid> {
    let all = store.list_partners().await?;
    let found: Vec<Uuid> = all
        .iter()
        .filter(|p| p.name == partner || p.id.to_string() == partner)
        .map(|p| p.id)
        .collect();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => bail!("no partner {partner:?} (see `support-assistant manager tenant list`)"),
        _ => bail!("several partners are named {partner:?}; use the id"),
    }
}

async fn customer_id(store: &dyn Storage, partner: Uuid, customer: &str) -> anyhow::Result<Uuid> {
    let all = store.list_customers(partner).await?;
    let found: Vec<Uuid> = all
        .iter()
        .filter(|c| c.name == customer || c.id.to_string() == customer)
        .map(|c| c.id)
        .collect();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => bail!("the partner has no customer {customer:?}"),
        _ => bail!("several customers are named {customer:?}; use the id"),
    }
}

pub async fn run(cmd: AgentCommand) -> anyhow::Result<()> {
    match cmd {
        AgentCommand::Add {
            partner,
            customer,
            name,
            data,
        } => {
            let store = open_store(&data).await?;
            let p = partner_id(&*store, &partner).await?;
            let c = customer_id(&*store, p, &customer).await?;
            let name = crate::domain::Label::parse(&name, 200)
                .map_err(|e| anyhow::anyhow!("name: {e}"))?;
            let (agent, token, expires) =
                super::api::add_agent(&*store, chrono::Utc::now(), p, c, name.as_str())
                    .await
                    .context("adding the agent")?;
            println!("agent {}", agent.id);
            println!(
                "enrolment token (valid until {}, shown once):",
                expires.to_rfc3339()
            );
            println!("{token}");
        }
        AgentCommand::List { partner, data } => {
            let store = open_store(&data).await?;
            let p = partner_id(&*store, &partner).await?;
            for a in store.list_agents(p).await? {
                println!(
                    "{}  {:<18} {:<24} {:<10} {}  {}",
                    a.id,
                    a.state,
                    a.customer_name,
                    a.version.as_deref().unwrap_or("-"),
                    a.last_contact_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into()),
                    a.name
                );
            }
        }
        AgentCommand::Revoke {
            partner,
            agent,
            data,
        } => {
            let store = open_store(&data).await?;
            let p = partner_id(&*store, &partner).await?;
            store.revoke_agent(p, agent).await?;
            println!("agent {agent} revoked");
        }
    }
    Ok(())
}

/// `support-assistant manager notification-email add|list|remove`: the partner's addresses
/// for e-mail notifications (the same as `/api/v1/notification-emails`).
#[derive(Debug, clap::Subcommand)]
pub enum NotificationEmailCommand {
    /// Adds an address: the partner's fleet events are e-mailed to it. Prints its id.
    Add {
        /// The partner (name or id).
        #[arg(long)]
        partner: String,
        /// The e-mail address to send the partner's notifications to.
        #[arg(long)]
        address: String,
        /// en, de, fr, it or es.
        #[arg(long, default_value = "en")]
        language: String,
        /// An event type to send (repeat for several; none: all), e.g. incident.created.
        #[arg(long = "event")]
        events: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Lists the partner's addresses: id, language, events.
    List {
        /// The partner (name or id).
        #[arg(long)]
        partner: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Removes an address; what it had not received yet is not sent.
    Remove {
        /// The partner (name or id).
        #[arg(long)]
        partner: String,
        /// The address's id (from `list`).
        #[arg(long)]
        id: Uuid,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run_notification_email(cmd: NotificationEmailCommand) -> anyhow::Result<()> {
    match cmd {
        NotificationEmailCommand::Add {
            partner,
            address,
            language,
            events,
            data,
        } => {
            let req = super::mail::CreateRecipientRequest {
                address,
                language: Some(language),
                events,
            };
            let (address, language, events) = req.validate().map_err(|problems| {
                anyhow::anyhow!(
                    "{}",
                    problems
                        .iter()
                        .map(|p| {
                            let option = if p.field == "events" {
                                "event"
                            } else {
                                &p.field
                            };
                            format!("--{option}: {}", p.detail)
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            let store = open_store(&data).await?;
            let partner = partner_id(&*store, &partner).await?;
            let r = store
                .create_recipient(partner, &address, language.code(), &events)
                .await?;
            println!("{}", r.id);
        }
        NotificationEmailCommand::List { partner, data } => {
            let store = open_store(&data).await?;
            let partner = partner_id(&*store, &partner).await?;
            for r in store.list_recipients(partner).await? {
                let events = if r.events.is_empty() {
                    "all".to_string()
                } else {
                    r.events.join(",")
                };
                println!("{}\t{}\t{}\t{}", r.id, r.address, r.language, events);
            }
        }
        NotificationEmailCommand::Remove { partner, id, data } => {
            let store = open_store(&data).await?;
            let partner = partner_id(&*store, &partner).await?;
            store
                .delete_recipient(partner, id)
                .await
                .with_context(|| format!("notification address {id}"))?;
            println!("removed {id}");
        }
    }
    Ok(())
}
