//! `GET /api/v1/billing/meter-reads`: a customer's meter reads per period, as JSON or CSV
//! (`Accept: text/csv`). The rules are in [`crate::fleet::billing`].

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::ApiPartner;
use super::error::ApiError;
use super::types::Problem;
use crate::app::AppState;
use crate::fleet::billing::{self, MeterReadsReport};

/// The longest period one request may ask for.
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/billing/meter-reads", get(meter_reads))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct BillingQuery {
    /// The customer's id (as `GET /api/v1/customers` lists it).
    #[param(required = true, value_type = String, format = Uuid)]
    pub customer: Option<String>,
    /// First day of the period, `YYYY-MM-DD` (UTC), included.
    #[param(required = true, value_type = String, format = Date)]
    pub from: Option<String>,
    /// Last day of the period, `YYYY-MM-DD` (UTC), included; not before `from`, at most 1098 days after it.
    #[param(required = true, value_type = String, format = Date)]
    pub to: Option<String>,
}

fn bad(field: &str, detail: String) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.into()),
        detail,
    }
}

fn date(q: Option<&str>, field: &str) -> Result<NaiveDate, ApiError> {
    let s = q
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(field, format!("{field}: required (YYYY-MM-DD)")))?;
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| bad(field, format!("{field}: must be a date such as 2026-01-31")))
}

/// Parses and checks the query: a customer id, and `from` ≤ `to` at most [`MAX_PERIOD_DAYS`] apart.
pub fn parse_query(q: &BillingQuery) -> Result<(Uuid, NaiveDate, NaiveDate), ApiError> {
    let customer = q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("customer", "customer: required (the customer's id)".into()))?;
    let customer = Uuid::parse_str(customer)
        .map_err(|_| bad("customer", "customer: must be a customer id (UUID)".into()))?;
    let from = date(q.from.as_deref(), "from")?;
    let to = date(q.to.as_deref(), "to")?;
    if to < from {
        return Err(bad("to", "to: must not be before from".into()));
    }
    if (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(bad(
            "to",
            format!("to: the period may be at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok((customer, from, to))
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("text/csv"))
}

/// Per device of the customer and per meter: start and end value and the difference in the period
/// (UTC days `from`..=`to`), from walk-up and automatic reads. Rollback rule: a value below the
/// previous read of the same meter (or a read marked `meter_replacement`) means the meter was
/// replaced; the difference then adds the old meter's usage up to its last read and the new
/// meter's usage from its first read (pages between those two reads are not known and not
/// counted; `replacements` counts such events). A device with no read in the period is listed
/// with status `missing`. `Accept: text/csv` gives one CSV row per device and meter.
#[utoipa::path(get, path = "/api/v1/billing/meter-reads", security(("api_key" = [])), params(BillingQuery),
    responses((status = 200, body = MeterReadsReport, content_type = "application/json"),
        (status = 200, body = String, content_type = "text/csv", description = "one row per device and meter"),
        (status = 400, body = Problem, description = "missing or malformed customer, from or to (the problem names the field)"),
        (status = 401, body = Problem), (status = 404, body = Problem, description = "no such customer of this partner")))]
pub async fn meter_reads(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    headers: HeaderMap,
    Query(q): Query<BillingQuery>,
) -> Result<Response, ApiError> {
    let (customer, from, to) = parse_query(&q)?;
    let report = billing::meter_reads_report(&*st.store, p, customer, from, to).await?;
    if wants_csv(&headers) {
        let mut res = billing::to_csv(&report).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        let name = format!("attachment; filename=\"meter-reads-{from}-{to}.csv\"");
        if let Ok(v) = HeaderValue::from_str(&name) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(res);
    }
    Ok(Json(report).into_response())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(meter_reads),
    components(schemas(
        MeterReadsReport,
        billing::DeviceUsage,
        billing::MeterUsage,
        billing::DeviceBillingStatus
    ))
)]
pub struct BillingApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    fn q(c: &str, f: &str, t: &str) -> BillingQuery {
        BillingQuery {
            customer: Some(c.into()),
            from: Some(f.into()),
            to: Some(t.into()),
        }
    }

    fn field(e: ApiError) -> Option<String> {
        e.problem().field
    }

    #[test]
    fn bad_queries_name_the_field() {
        let id = Uuid::nil().to_string();
        assert!(parse_query(&q(&id, "2026-03-01", "2026-03-31")).is_ok());
        let err = |c: &str, f: &str, t: &str| field(parse_query(&q(c, f, t)).unwrap_err());
        assert_eq!(
            err("acme", "2026-03-01", "2026-03-31").as_deref(),
            Some("customer")
        );
        assert_eq!(
            err(&id, "2026-13-01", "2026-03-31").as_deref(),
            Some("from")
        );
        assert_eq!(err(&id, "2026-3-1", "2026-03-31").as_deref(), Some("from"));
        assert_eq!(err(&id, "2026-03-01", "31.03.2026").as_deref(), Some("to"));
        assert_eq!(err(&id, "2026-03-02", "2026-03-01").as_deref(), Some("to"));
        assert_eq!(err(&id, "2020-01-01", "2026-03-01").as_deref(), Some("to"));
        let missing = BillingQuery::default();
        assert_eq!(
            field(parse_query(&missing).unwrap_err()).as_deref(),
            Some("customer")
        );
    }
}
