//! The console's fleet page: agents (last contact, version, revoke; add one for a customer and see its
//! enrolment token once) and every device the agents report: supply bars with days left, last seen,
//! alerts and what the policies raised (automatic orders and incidents, silent devices), filtered by
//! customer and "needs attention"; the webhooks with their delivery log; a billing CSV download.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use serde::Deserialize;
use uuid::Uuid;

use super::rules_store::kinds;
use crate::app::AppState;
use crate::auth::constant_time_eq;
use crate::console::{ConsoleError, ConsoleUser, fmt_time, lang};
use crate::storage::Role;
use platform::i18n::{Args, Locale, t_args};

pub fn routes() -> Router<AppState> {
    crate::console::localized(routes_in_any_language())
}

fn routes_in_any_language() -> Router<AppState> {
    Router::new()
        .route("/console/fleet", get(fleet_page))
        .route("/console/fleet/agents", post(add_agent))
        .route("/console/fleet/agents/{id}/revoke", post(revoke))
        .route("/console/fleet/webhooks", post(add_webhook))
        .route("/console/fleet/webhooks/{id}/delete", post(delete_webhook))
        .route("/console/fleet/billing.csv", get(billing_csv))
}

struct AgentRow {
    id: Uuid,
    name: String,
    customer: String,
    state: String,
    revoked: bool,
    version: String,
    host: String,
    last_contact: String,
    silent: bool,
}

struct SupplyCell {
    description: String,
    /// 0–100 for the bar; absent when the device reports no percentage.
    percent: Option<u8>,
    /// The percentage as the language writes it (`45 %`).
    percent_text: String,
    status: String,
    /// "12.5 days (2026-03-14)", "not enough data", …
    outlook: String,
}

struct DeviceRow {
    serial: String,
    model: String,
    customer: String,
    is_new: bool,
    last_seen: String,
    silent: bool,
    status: String,
    supplies: Vec<SupplyCell>,
    alerts: Vec<String>,
    /// Open conditions the policies raised: orders, alert incidents.
    raised: Vec<String>,
}

struct WebhookRow {
    id: Uuid,
    url: String,
    events: String,
    deliveries: Vec<DeliveryRow>,
}

struct DeliveryRow {
    at: String,
    event: String,
    attempt: u32,
    result: String,
    state: String,
}

#[derive(Template)]
#[template(path = "console_fleet.html")]
struct FleetPage {
    l: Locale,
    fleet_count: String,
    user_email: Option<String>,
    csrf: String,
    is_admin: bool,
    error: Option<String>,
    new_token: Option<String>,
    new_secret: Option<String>,
    agents: Vec<AgentRow>,
    customers: Vec<(Uuid, String)>,
    filter_customer: String,
    attention_only: bool,
    devices: Vec<DeviceRow>,
    webhooks: Vec<WebhookRow>,
    event_types: Vec<&'static str>,
    today: String,
    month_start: String,
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    fmt_time(t)
}

/// A word of the device's or the forecast's vocabulary in `l`: its `console.ftl` or `panel.ftl`
/// label (`prefix` + value) when there is one, else the value with spaces for underscores.
fn label(l: Locale, prefix: &str, value: &str) -> String {
    platform::i18n::lookup(l, &format!("{prefix}{value}"))
        .unwrap_or_else(|| value.replace('_', " "))
}

/// For tables with several times in a row, whose headings say "(UTC)": the language's date and
/// time without the zone.
fn short_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let l = lang();
    let full = l.date_time_utc(t);
    full.strip_suffix(" UTC").unwrap_or(&full).to_string()
}

/// The fleet page's filter: `?customer=<id>&attention=1`.
#[derive(Debug, Default, Deserialize)]
pub struct FleetQuery {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    attention: String,
}

/// What a page render shows besides the lists.
#[derive(Default)]
struct Notice {
    error: Option<String>,
    new_token: Option<String>,
    new_secret: Option<String>,
}

async fn render(
    st: &AppState,
    user: &ConsoleUser,
    q: &FleetQuery,
    notice: Notice,
) -> Result<Html<String>, ConsoleError> {
    let p = user.user.partner_id;
    let now = st.clock.now();
    let l = lang();
    let open = st.store.open_conditions(p).await?;
    let silent_agents: std::collections::HashSet<Uuid> = open
        .iter()
        .filter(|c| c.kind == kinds::AGENT_SILENT)
        .filter_map(|c| c.agent_id)
        .collect();
    let agents = st
        .store
        .list_agents(p)
        .await?
        .into_iter()
        .map(|a| AgentRow {
            silent: silent_agents.contains(&a.id),
            id: a.id,
            name: a.name,
            customer: a.customer_name,
            revoked: a.state == "revoked",
            state: label(l, "console-agent-state-", &a.state),
            version: a.version.unwrap_or_else(|| "-".into()),
            host: a.host.unwrap_or_else(|| "-".into()),
            last_contact: a
                .last_contact_at
                .map(time)
                .unwrap_or_else(|| l.t("console-never")),
        })
        .collect();
    let customers: Vec<(Uuid, String)> = st
        .store
        .list_customers(p)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let filter_customer = customers
        .iter()
        .find(|(id, _)| id.to_string() == q.customer.trim())
        .map(|(id, name)| (*id, name.clone()));
    let attention_only = !q.attention.is_empty();
    let page = super::devices::fleet_device_page(&*st.store, p, 0, u32::MAX, now).await?;
    let total_devices = page.devices.len();
    let mut devices = Vec::new();
    for d in page.devices {
        if let Some((_, name)) = &filter_customer
            && d.customer != *name
        {
            continue;
        }
        let mine: Vec<_> = open
            .iter()
            .filter(|c| {
                c.device_serial.as_deref() == Some(d.serial.as_str()) && c.raised_at.is_some()
            })
            .collect();
        let silent = mine.iter().any(|c| c.kind == kinds::DEVICE_SILENT);
        let raised: Vec<String> = mine
            .iter()
            .filter(|c| c.kind != kinds::DEVICE_SILENT)
            .map(|c| {
                let args = |n: Option<&str>| {
                    Args::new()
                        .text("number", n.unwrap_or_default().to_string())
                        .text("detail", c.detail.clone())
                };
                match (&c.incident_number, c.kind.as_str()) {
                    (Some(n), kinds::SUPPLY_LOW) => {
                        t_args(l, "console-raised-order", &args(Some(n.as_str())))
                    }
                    (Some(n), _) => t_args(l, "console-raised-incident", &args(Some(n.as_str()))),
                    (None, kinds::SUPPLY_LOW) => {
                        t_args(l, "console-raised-supply-low", &args(None))
                    }
                    (None, _) => c.detail.clone(),
                }
            })
            .collect();
        let attention = silent || !raised.is_empty() || d.status == "down";
        if attention_only && !attention {
            continue;
        }
        devices.push(DeviceRow {
            last_seen: d.last_seen.map(time).unwrap_or_else(|| "-".into()),
            silent,
            status: if d.errors.is_empty() {
                label(l, "console-device-status-", &d.status)
            } else {
                format!(
                    "{} ({})",
                    label(l, "console-device-status-", &d.status),
                    d.errors.join(", ")
                )
            },
            supplies: d
                .supplies
                .iter()
                .map(|s| SupplyCell {
                    description: s.description.clone(),
                    percent: s.percent.map(|p| p.min(100)),
                    percent_text: s
                        .percent
                        .map(|p| l.percent(u32::from(p.min(100))))
                        .unwrap_or_default(),
                    status: label(l, "supply-status-", &s.status),
                    outlook: outlook(l, &s.runs_out, s.days_left, s.predicted_date, &s.forecast),
                })
                .collect(),
            alerts: d
                .open_alerts
                .iter()
                .map(|a| format!("{} {} ({})", a.severity, a.code_name, a.code))
                .collect(),
            raised,
            serial: d.serial,
            model: d.model,
            customer: d.customer,
            is_new: d.is_new,
        });
    }
    let mut webhooks = Vec::new();
    for w in st.store.list_webhooks(p).await? {
        let deliveries = st
            .store
            .list_deliveries(p, w.id, 20)
            .await?
            .into_iter()
            .map(|d| DeliveryRow {
                at: time(d.at),
                event: d.event_type,
                attempt: d.attempt,
                result: match (d.status_code, d.error) {
                    (Some(c), None) => format!("HTTP {c}"),
                    (_, Some(e)) => e,
                    (None, None) => "-".into(),
                },
                state: label(l, "console-outbox-state-", &d.state),
            })
            .collect();
        webhooks.push(WebhookRow {
            id: w.id,
            url: w.url,
            events: if w.events.is_empty() {
                l.t("console-all-events")
            } else {
                w.events.join(", ")
            },
            deliveries,
        });
    }
    let today = now.date_naive();
    let page = FleetPage {
        l,
        fleet_count: t_args(
            l,
            "console-fleet-count",
            &Args::new()
                .number("shown", devices.len() as i64)
                .number("total", total_devices as i64),
        ),
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        is_admin: user.user.role == Role::PartnerAdmin,
        error: notice.error,
        new_token: notice.new_token,
        new_secret: notice.new_secret,
        agents,
        customers,
        filter_customer: filter_customer
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
        attention_only,
        devices,
        webhooks,
        event_types: super::notify::events::ALL.to_vec(),
        today: today.to_string(),
        month_start: today.with_day(1).unwrap_or(today).to_string(),
    };
    Ok(Html(page.render()?))
}

/// The mark that sets walk-up and automatic incidents apart in the console's lists and incident
/// page: a coloured badge (CSS class `badge automatic` / `badge walk-up`) with a word and a tooltip,
/// so the difference does not rest on colour alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceBadge {
    pub class: &'static str,
    pub label: String,
    pub title: String,
}

/// The badge of an incident, its words in `l`.
pub fn source_badge(i: &crate::storage::Incident, l: Locale) -> SourceBadge {
    use crate::domain::IncidentKind;
    use proto::IncidentSource;
    let (class, key) = match (i.source, i.kind) {
        (IncidentSource::Automatic, IncidentKind::Supply) => ("automatic", "automatic-order"),
        (IncidentSource::Automatic, _) => ("automatic", "automatic"),
        (IncidentSource::WalkUp, _) => ("walk-up", "walk-up"),
    };
    SourceBadge {
        class,
        label: l.t(&format!("console-badge-{key}")),
        title: l.t(&format!("console-badge-{key}-title")),
    }
}

/// A supply of the device page: level, status and forecast.
pub struct ForecastRow {
    pub description: String,
    pub percent: Option<u8>,
    /// The percentage as the language writes it.
    pub percent_text: String,
    pub status: String,
    /// "3.5" days (the language's decimal sign), or why there is no forecast ("not enough
    /// data", "not decreasing").
    pub days_left: String,
    /// "empty on 14 Mar 2026" (or "full on …" for a waste receptacle) in the language, or empty.
    pub date: String,
}

/// A condition of the device page's alert history (printer alerts, supply orders, silence).
pub struct ConditionRow {
    pub what: String,
    pub detail: String,
    pub first_seen: String,
    pub raised: String,
    /// Empty while it holds.
    pub cleared: String,
    pub incident: Option<String>,
}

/// What the agents know of one device, for its console page.
pub struct DeviceFleet {
    pub last_seen: Option<String>,
    pub status: String,
    /// prtAlertTable rows of the last reading.
    pub open_alerts: Vec<String>,
    pub forecasts: Vec<ForecastRow>,
    pub history: Vec<ConditionRow>,
}

/// Conditions shown on a device page (newest first).
pub const HISTORY_ROWS: u32 = 200;

/// One device's last reading, supply forecasts (with its effective policy) and condition history,
/// its words and numbers in `l`; `None` when no agent reports it and it never had a condition.
pub async fn device_fleet(
    store: &dyn crate::storage::Storage,
    partner: Uuid,
    serial: &str,
    customer: Uuid,
    now: chrono::DateTime<chrono::Utc>,
    l: Locale,
) -> crate::storage::Result<Option<DeviceFleet>> {
    use super::devices::{ForecastTarget, Refresh, device_forecasts};
    let last = store
        .list_readings(partner, serial, 1)
        .await?
        .into_iter()
        .next();
    let conditions = store
        .device_conditions(partner, serial, HISTORY_ROWS)
        .await?;
    if last.is_none() && conditions.is_empty() {
        return Ok(None);
    }
    let forecasts = match &last {
        Some(last) => {
            let policy = super::policy::load(store, partner)
                .await?
                .effective(Some(customer), Some(serial));
            // The stored forecasts the fleet page and the API show (computed if stale).
            let target = ForecastTarget {
                serial,
                last,
                min_span: policy.forecast_min_history(),
            };
            device_forecasts(store, partner, &[target], now, Refresh::IfStale)
                .await?
                .remove(serial)
                .unwrap_or_default()
                .into_iter()
                .map(|s| ForecastRow {
                    description: s.description,
                    percent: s.percent.map(|p| p.min(100)),
                    percent_text: s
                        .percent
                        .map(|p| l.percent(u32::from(p.min(100))))
                        .unwrap_or_default(),
                    status: label(l, "supply-status-", &s.status),
                    days_left: match s.days_left {
                        Some(d) => days_left(l, d),
                        None => label(l, "console-forecast-", &s.forecast),
                    },
                    date: s
                        .predicted_date
                        .map(|d| {
                            l.t1(
                                &format!("console-runs-out-on-{}", s.runs_out),
                                "date",
                                &l.date(d.date_naive()),
                            )
                        })
                        .unwrap_or_default(),
                })
                .collect()
        }
        None => vec![],
    };
    let history = conditions
        .into_iter()
        .map(|c| ConditionRow {
            what: l.t(match c.kind.as_str() {
                kinds::SUPPLY_LOW => "console-condition-supply-low",
                kinds::ALERT => "console-condition-alert",
                kinds::DEVICE_SILENT => "console-condition-silent",
                _ => "console-condition-other",
            }),
            detail: c.detail,
            first_seen: short_time(c.first_seen_at),
            raised: c.raised_at.map(short_time).unwrap_or_default(),
            cleared: c.cleared_at.map(short_time).unwrap_or_default(),
            incident: c.incident_number,
        })
        .collect();
    Ok(Some(DeviceFleet {
        last_seen: last.as_ref().map(|r| time(r.read_at)),
        status: match &last {
            Some(r) => {
                let device = label(
                    l,
                    "console-device-status-",
                    r.status.device.as_deref().unwrap_or("unknown"),
                );
                if r.status.errors.is_empty() {
                    device
                } else {
                    format!("{device} ({})", r.status.errors.join(", "))
                }
            }
            None => l.t("console-device-status-unknown"),
        },
        open_alerts: last
            .map(|r| {
                r.alerts
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {} ({}): {}",
                            a.severity, a.code_name, a.code, a.description
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        forecasts,
        history,
    }))
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
    Query(q): Query<FleetQuery>,
) -> Result<Html<String>, ConsoleError> {
    render(&st, &user, &q, Notice::default()).await
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
        let notice = Notice {
            error: Some(lang().t("console-error-agent-form")),
            ..Default::default()
        };
        let page = render(&st, &user, &FleetQuery::default(), notice).await?;
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
    let notice = Notice {
        new_token: Some(token),
        ..Default::default()
    };
    Ok(render(&st, &user, &FleetQuery::default(), notice)
        .await?
        .into_response())
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

/// The add-webhook form (`events` repeats: one per checked type; none means all).
struct WebhookForm {
    csrf: String,
    url: String,
    events: Vec<String>,
}

async fn add_webhook(
    State(st): State<AppState>,
    user: ConsoleUser,
    form_body: axum::body::Bytes,
) -> Result<Response, ConsoleError> {
    // Repeated `events` fields: parsed as pairs (axum's Form takes one value per name).
    let pairs: Vec<(String, String)> =
        serde_urlencoded_pairs(&form_body).ok_or(ConsoleError::BadRequest("bad form".into()))?;
    let mut form = WebhookForm {
        csrf: String::new(),
        url: String::new(),
        events: vec![],
    };
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => form.csrf = v,
            "url" => form.url = v,
            "events" => form.events.push(v),
            _ => {}
        }
    }
    check(&user, &form.csrf)?;
    let req = super::notify::CreateWebhookRequest {
        url: form.url,
        events: form.events,
    };
    let (url, events) = match req.check_problems(st.config.webhook_allow_private).await {
        Ok(v) => v,
        Err(problems) => {
            let l = lang();
            let notice = Notice {
                error: Some(
                    problems
                        .iter()
                        .map(|p| p.message(l))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                ..Default::default()
            };
            let page = render(&st, &user, &FleetQuery::default(), notice).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let secret = super::notify::generate_secret();
    st.store
        .create_webhook(user.user.partner_id, &url, &secret, &events)
        .await?;
    let notice = Notice {
        new_secret: Some(secret),
        ..Default::default()
    };
    Ok(render(&st, &user, &FleetQuery::default(), notice)
        .await?
        .into_response())
}

fn serde_urlencoded_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    Some(
        reqwest::Url::parse(&format!("http://x/?{}", std::str::from_utf8(body).ok()?))
            .ok()?
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

async fn delete_webhook(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ConsoleError> {
    check(&user, &form.csrf)?;
    st.store.delete_webhook(user.user.partner_id, id).await?;
    Ok(Redirect::to("/console/fleet").into_response())
}

/// The billing report of one customer as CSV (the same as `GET /api/v1/billing/meter-reads`
/// with `Accept: text/csv`), for the console's session.
async fn billing_csv(
    State(st): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<crate::api::billing::BillingQuery>,
) -> Result<Response, ConsoleError> {
    let (customer, from, to) = crate::api::billing::parse_query(&q)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    let report =
        super::billing::meter_reads_report(&*st.store, user.user.partner_id, customer, from, to)
            .await?;
    let mut res = super::billing::to_csv(&report).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"meter-reads-{from}-{to}.csv\""
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Days left in a table cell: "3.5" (the language's decimal sign); under a day "< 1", as "0.0"
/// read as a mistake.
fn days_left(l: Locale, days: f64) -> String {
    if days < 1.0 {
        format!("< {}", l.number(1.0, 0))
    } else {
        l.number(days, 1)
    }
}

/// A supply's outlook on the fleet page: "empty in 3.5 days (14 Mar 2026)", "empty within a day
/// (…)" under a day, or why there is no forecast.
fn outlook(
    l: Locale,
    runs_out: &str,
    days: Option<f64>,
    date: Option<chrono::DateTime<chrono::Utc>>,
    forecast: &str,
) -> String {
    match (days, date) {
        (Some(days), Some(date)) if days < 1.0 => l.t1(
            &format!("console-runs-out-{runs_out}-within-a-day"),
            "date",
            &l.date(date.date_naive()),
        ),
        (Some(days), Some(date)) => t_args(
            l,
            &format!("console-runs-out-{runs_out}"),
            &Args::new()
                .text("days", l.number(days, 1))
                .text("date", l.date(date.date_naive())),
        ),
        _ => label(l, "console-forecast-", forecast),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_a_day_is_said_so_not_zero_days() {
        let date = chrono::DateTime::parse_from_rfc3339("2026-03-14T10:00:00Z")
            .unwrap()
            .to_utc();
        let de = Locale::De;
        assert_eq!(days_left(de, 0.04), "< 1");
        assert_eq!(days_left(de, 3.45), de.number(3.45, 1));
        let soon = outlook(de, "empty", Some(0.04), Some(date), "ok");
        assert!(soon.starts_with("leer in weniger als einem Tag"), "{soon}");
        let later = outlook(Locale::En, "full", Some(3.5), Some(date), "ok");
        assert!(later.starts_with("full in 3.5 days"), "{later}");
    }
}
