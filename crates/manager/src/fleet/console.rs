//! The console's fleet page: agents (last contact, version, revoke; add one for a customer and see its
//! enrolment token once) and every device the agents report with its last reading.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::constant_time_eq;
use crate::console::{ConsoleError, ConsoleUser};
use crate::storage::Role;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/fleet", get(fleet_page))
        .route("/console/fleet/agents", post(add_agent))
        .route("/console/fleet/agents/{id}/revoke", post(revoke))
}

struct AgentRow {
    id: Uuid,
    name: String,
    customer: String,
    state: String,
    version: String,
    host: String,
    last_contact: String,
}

struct DeviceRow {
    serial: String,
    model: String,
    customer: String,
    is_new: bool,
    last_read: String,
    status: String,
    supplies: String,
    alerts: String,
}

#[derive(Template)]
#[template(path = "console_fleet.html")]
struct FleetPage {
    user_email: Option<String>,
    csrf: String,
    is_admin: bool,
    error: Option<String>,
    new_token: Option<String>,
    agents: Vec<AgentRow>,
    customers: Vec<(Uuid, String)>,
    devices: Vec<DeviceRow>,
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn render(
    st: &AppState,
    user: &ConsoleUser,
    error: Option<String>,
    new_token: Option<String>,
) -> Result<Html<String>, ConsoleError> {
    let p = user.user.partner_id;
    let agents = st
        .store
        .list_agents(p)
        .await?
        .into_iter()
        .map(|a| AgentRow {
            id: a.id,
            name: a.name,
            customer: a.customer_name,
            state: a.state.replace('_', " "),
            version: a.version.unwrap_or_else(|| "-".into()),
            host: a.host.unwrap_or_else(|| "-".into()),
            last_contact: a
                .last_contact_at
                .map(time)
                .unwrap_or_else(|| "never".into()),
        })
        .collect();
    let customers = st
        .store
        .list_customers(p)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let devices = st
        .store
        .fleet_devices(p)
        .await?
        .into_iter()
        .map(|d| {
            let last = d.last.as_ref();
            DeviceRow {
                serial: d.serial,
                model: d.model,
                customer: d.customer_name,
                is_new: d.is_new,
                last_read: last.map(|r| time(r.read_at)).unwrap_or_else(|| "-".into()),
                status: last
                    .map(|r| {
                        let mut s = r.status.device.clone().unwrap_or_else(|| "-".into());
                        if !r.status.errors.is_empty() {
                            s.push_str(&format!(" ({})", r.status.errors.join(", ")));
                        }
                        s
                    })
                    .unwrap_or_default(),
                supplies: last
                    .map(|r| {
                        r.supplies
                            .iter()
                            .map(|s| match s.percent {
                                Some(p) => format!("{} {p} %", s.description),
                                None => format!("{} {}", s.description, s.status),
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default(),
                alerts: last
                    .map(|r| {
                        r.alerts
                            .iter()
                            .map(|a| format!("{} {} ({})", a.severity, a.code_name, a.code))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let page = FleetPage {
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        is_admin: user.user.role == Role::PartnerAdmin,
        error,
        new_token,
        agents,
        customers,
        devices,
    };
    Ok(Html(page.render()?))
}

fn check(user: &ConsoleUser, csrf: &str) -> Result<(), ConsoleError> {
    if !constant_time_eq(csrf.as_bytes(), user.csrf.as_bytes()) {
        return Err(ConsoleError::Csrf);
    }
    if user.user.role != Role::PartnerAdmin {
        return Err(ConsoleError::Forbidden);
    }
    Ok(())
}

async fn fleet_page(
    State(st): State<AppState>,
    user: ConsoleUser,
) -> Result<Html<String>, ConsoleError> {
    render(&st, &user, None, None).await
}

#[derive(Deserialize)]
struct AddAgentForm {
    #[serde(default)]
    csrf: String,
    customer_id: String,
    name: String,
}

async fn add_agent(
    State(st): State<AppState>,
    user: ConsoleUser,
    Form(form): Form<AddAgentForm>,
) -> Result<Response, ConsoleError> {
    check(&user, &form.csrf)?;
    let name = crate::domain::Label::parse(&form.name, 200);
    let customer = Uuid::parse_str(form.customer_id.trim());
    let (Ok(name), Ok(customer)) = (name, customer) else {
        let page = render(
            &st,
            &user,
            Some("name and customer are required".into()),
            None,
        )
        .await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let (_, token, _) = super::api::add_agent(
        &*st.store,
        st.clock.now(),
        user.user.partner_id,
        customer,
        name.as_str(),
    )
    .await?;
    Ok(render(&st, &user, None, Some(token)).await?.into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ConsoleError> {
    check(&user, &form.csrf)?;
    st.store.revoke_agent(user.user.partner_id, id).await?;
    Ok(Redirect::to("/console/fleet").into_response())
}
