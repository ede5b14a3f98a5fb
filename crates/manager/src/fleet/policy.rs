//! Fleet policies (issue 13): when a supply is ordered automatically, which printer alerts raise a
//! service incident, when a device or agent counts as silent. One document per partner, overridable
//! per customer and per device; every field of a document is optional and the effective policy is
//! [`Policy::default`] overlaid by the partner's, then the customer's, then the device's document.
//!
//! API (API key, partner-scoped): `GET /api/v1/fleet/policies`, `PUT /api/v1/fleet/policies/partner`,
//! `PUT|DELETE /api/v1/fleet/policies/customers/{id}`, `PUT|DELETE /api/v1/fleet/policies/devices/{serial}`,
//! `GET /api/v1/fleet/policies/devices/{serial}/effective`, and a device's supplies contract
//! `PUT|DELETE /api/v1/fleet/devices/{serial}/supplies-contract`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use proto::Contract;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules_store::Condition;
use crate::api::error::ApiError;
use crate::api::types::{FieldProblem, Problem};
use crate::api::{ApiJson, ApiPartner};
use crate::app::AppState;
use crate::domain::DeviceSerial;

/// Where a policy document applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyScope {
    Partner,
    Customer,
    Device,
}

impl PolicyScope {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Customer => "customer",
            Self::Device => "device",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "partner" => Some(Self::Partner),
            "customer" => Some(Self::Customer),
            "device" => Some(Self::Device),
            _ => None,
        }
    }
}

/// The effective policy of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Policy {
    /// Order a supply when it is forecast to run out within this many days (default 10).
    pub order_within_days: u32,
    /// … or when its level is below this percentage (default 15).
    pub order_below_percent: u8,
    /// prtAlertTable rows of these severities … (default `critical`)
    pub alert_severities: Vec<String>,
    /// … and these training levels raise a service incident (default `field_service`).
    pub alert_training_levels: Vec<String>,
    /// Alert codes (RFC 3805 PrtAlertCodeTC names) that raise a service incident whatever their
    /// severity (default: the unrecoverable failures).
    pub alert_codes: Vec<String>,
    /// hrPrinterDetectedErrorState bits that raise a service incident (default `serviceRequested`).
    pub error_states: Vec<String>,
    /// Alert codes that raise one only once they persist longer than `persist_minutes`
    /// (default jam, doorOpen, coverOpen, interlockOpen).
    pub persisting_alert_codes: Vec<String>,
    /// Error-state bits likewise (default jammed, doorOpen).
    pub persisting_error_states: Vec<String>,
    /// Default 30.
    pub persist_minutes: u32,
    /// A device not read (or an agent not heard from) for this many days is silent (default 3).
    pub silent_after_days: u32,
    /// A supply is forecast once its current cartridge's levels span this many minutes (default
    /// 1440: a day). Shorter for devices used far more than an office's (the demo's accelerated ones).
    pub forecast_min_history_minutes: u32,
}

impl Policy {
    /// [`Policy::forecast_min_history_minutes`] as a duration.
    pub fn forecast_min_history(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.forecast_min_history_minutes))
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            order_within_days: 10,
            order_below_percent: 15,
            alert_severities: strings(&["critical"]),
            alert_training_levels: strings(&["field_service"]),
            alert_codes: strings(&[
                "subunitUnrecoverableFailure",
                "subunitUnrecoverableStorageError",
                "subunitMotorFailure",
                "subunitThermistorFailure",
                "subunitTimingFailure",
                "subunitOverTemperature",
            ]),
            error_states: strings(&["serviceRequested"]),
            persisting_alert_codes: strings(&["jam", "doorOpen", "coverOpen", "interlockOpen"]),
            persisting_error_states: strings(&["jammed", "doorOpen"]),
            persist_minutes: 30,
            silent_after_days: 3,
            forecast_min_history_minutes: 1440,
        }
    }
}

/// A policy document as stored and as the API takes it: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "proto::text::whole::optional"
    )]
    #[schema(minimum = 0, maximum = 365)]
    pub order_within_days: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "proto::text::whole::optional"
    )]
    #[schema(minimum = 0, maximum = 100)]
    pub order_below_percent: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = severities)]
    pub alert_severities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = training_levels)]
    pub alert_training_levels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = alert_codes)]
    pub alert_codes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = error_states)]
    pub error_states: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = alert_codes)]
    pub persisting_alert_codes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = error_states)]
    pub persisting_error_states: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "proto::text::whole::optional"
    )]
    #[schema(minimum = 0, maximum = 10080)]
    pub persist_minutes: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "proto::text::whole::optional"
    )]
    #[schema(minimum = 1, maximum = 365)]
    pub silent_after_days: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "proto::text::whole::optional"
    )]
    #[schema(minimum = 1, maximum = 43200)]
    pub forecast_min_history_minutes: Option<u32>,
}

/// The schemas of the lists: each item one of the names `validate` allows, or `null` (unset).
fn names(allowed: &[&str]) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(allowed.iter().copied()))
        .build();
    proto::schema::nullable(proto::schema::array(item, 0, usize::MAX))
}
fn severities() -> utoipa::openapi::schema::Schema {
    names(&SEVERITIES)
}
fn training_levels() -> utoipa::openapi::schema::Schema {
    names(&TRAINING_LEVELS)
}
fn error_states() -> utoipa::openapi::schema::Schema {
    names(&ERROR_STATES)
}
fn alert_codes() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z0-9-]{1,64}$"))
        .description(Some("an alert code name such as jam or code-1234"))
        .build();
    proto::schema::nullable(proto::schema::array(item, 0, usize::MAX))
}

const SEVERITIES: [&str; 4] = [
    "critical",
    "warning",
    "warning_binary_change_event",
    "other",
];
const TRAINING_LEVELS: [&str; 7] = [
    "other",
    "unknown",
    "untrained",
    "trained",
    "field_service",
    "management",
    "no_intervention_required",
];
/// hrPrinterDetectedErrorState bits (RFC 2790), as `printer::status` names them.
const ERROR_STATES: [&str; 15] = [
    "lowPaper",
    "noPaper",
    "lowToner",
    "noToner",
    "doorOpen",
    "jammed",
    "offline",
    "serviceRequested",
    "inputTrayMissing",
    "outputTrayMissing",
    "markerSupplyMissing",
    "outputNearFull",
    "outputFull",
    "inputTrayEmpty",
    "overduePreventMaint",
];

impl PolicyDocument {
    /// Checks every field; the problems name the field.
    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut push = |field: &str, detail: String| {
            problems.push(FieldProblem {
                field: field.into(),
                detail,
            })
        };
        if let Some(d) = self.order_within_days
            && d > 365
        {
            push("order_within_days", "must be 0 to 365 days".into());
        }
        if let Some(p) = self.order_below_percent
            && p > 100
        {
            push("order_below_percent", "must be 0 to 100".into());
        }
        if let Some(m) = self.persist_minutes
            && m > 7 * 24 * 60
        {
            push("persist_minutes", "must be 0 to 10080 minutes".into());
        }
        if let Some(d) = self.silent_after_days
            && !(1..=365).contains(&d)
        {
            push("silent_after_days", "must be 1 to 365 days".into());
        }
        if let Some(m) = self.forecast_min_history_minutes
            && !(1..=30 * 24 * 60).contains(&m)
        {
            push(
                "forecast_min_history_minutes",
                "must be 1 to 43200 minutes (30 days)".into(),
            );
        }
        let mut check_set = |field: &str, v: &Option<Vec<String>>, allowed: &[&str]| {
            for s in v.iter().flatten() {
                if !allowed.contains(&s.as_str()) {
                    push(field, format!("{s:?} is not one of {}", allowed.join(", ")));
                }
            }
        };
        check_set("alert_severities", &self.alert_severities, &SEVERITIES);
        check_set(
            "alert_training_levels",
            &self.alert_training_levels,
            &TRAINING_LEVELS,
        );
        check_set("error_states", &self.error_states, &ERROR_STATES);
        check_set(
            "persisting_error_states",
            &self.persisting_error_states,
            &ERROR_STATES,
        );
        for (field, v) in [
            ("alert_codes", &self.alert_codes),
            ("persisting_alert_codes", &self.persisting_alert_codes),
        ] {
            for s in v.iter().flatten() {
                let ok = !s.is_empty()
                    && s.len() <= 64
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !ok {
                    push(
                        field,
                        format!("{s:?} is not an alert code name (such as jam or code-1234)"),
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl Policy {
    /// This policy with the fields `doc` sets replaced.
    pub fn overlay(mut self, doc: &PolicyDocument) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if let Some(v) = &doc.$f { self.$f = v.clone(); } )* };
        }
        take!(
            order_within_days,
            order_below_percent,
            alert_severities,
            alert_training_levels,
            alert_codes,
            error_states,
            persisting_alert_codes,
            persisting_error_states,
            persist_minutes,
            silent_after_days,
            forecast_min_history_minutes
        );
        self
    }
}

/// A partner's policy documents, to resolve the effective policy of any of its devices.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub partner: Option<PolicyDocument>,
    pub customers: std::collections::HashMap<Uuid, PolicyDocument>,
    pub devices: std::collections::HashMap<String, PolicyDocument>,
}

impl PolicySet {
    /// Defaults, then the partner's, the customer's and the device's document.
    pub fn effective(&self, customer: Option<Uuid>, serial: Option<&str>) -> Policy {
        let mut p = Policy::default();
        if let Some(d) = &self.partner {
            p = p.overlay(d);
        }
        if let Some(d) = customer.and_then(|c| self.customers.get(&c)) {
            p = p.overlay(d);
        }
        if let Some(d) = serial.and_then(|s| self.devices.get(s)) {
            p = p.overlay(d);
        }
        p
    }
}

/// Loads a partner's documents.
pub async fn load(
    store: &dyn crate::storage::Storage,
    partner: Uuid,
) -> crate::storage::Result<PolicySet> {
    let mut set = PolicySet::default();
    for (scope, id, doc) in store.list_policies(partner).await? {
        match scope {
            PolicyScope::Partner => set.partner = Some(doc),
            PolicyScope::Customer => {
                if let Ok(c) = Uuid::parse_str(&id) {
                    set.customers.insert(c, doc);
                }
            }
            PolicyScope::Device => {
                set.devices.insert(id, doc);
            }
        }
    }
    Ok(set)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/fleet/policies", get(get_policies))
        .route("/api/v1/fleet/policies/partner", put(put_partner_policy))
        .route(
            "/api/v1/fleet/policies/customers/{id}",
            put(put_customer_policy).delete(delete_customer_policy),
        )
        .route(
            "/api/v1/fleet/policies/devices/{serial}",
            put(put_device_policy).delete(delete_device_policy),
        )
        .route(
            "/api/v1/fleet/policies/devices/{serial}/effective",
            get(effective_device_policy),
        )
        .route(
            "/api/v1/fleet/devices/{serial}/supplies-contract",
            put(put_supplies_contract).delete(delete_supplies_contract),
        )
        .route(
            "/api/v1/fleet/devices/{serial}/conditions",
            get(device_conditions),
        )
}

/// A device's conditions, newest first (the last 200): automatic orders, alerts (with the
/// incidents they raised, when they were raised and cleared), silent periods: its alert history.
#[utoipa::path(get, path = "/api/v1/fleet/devices/{serial}/conditions", security(("api_key" = [])), params(("serial" = proto::DeviceSerial, Path)),
    responses((status = 200, body = Vec<Condition>), (status = 404, body = Problem)))]
pub async fn device_conditions(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(s): Path<String>,
) -> Result<Json<Vec<Condition>>, ApiError> {
    let s = serial(&s)?;
    if st.store.get_device(p, &s).await?.is_none() {
        return Err(ApiError::NotFound("device"));
    }
    Ok(Json(st.store.device_conditions(p, s.as_str(), 200).await?))
}

/// A partner's policy documents and the defaults they overlay.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoliciesView {
    pub defaults: Policy,
    /// The partner's document (applies to all its devices).
    pub partner: PolicyDocument,
    /// Per customer id.
    pub customers: std::collections::BTreeMap<String, PolicyDocument>,
    /// Per device serial.
    pub devices: std::collections::BTreeMap<String, PolicyDocument>,
}

/// The partner's policy documents (partner, per customer, per device) and the defaults.
#[utoipa::path(get, path = "/api/v1/fleet/policies", security(("api_key" = [])),
    responses((status = 200, body = PoliciesView), (status = 401, body = Problem)))]
pub async fn get_policies(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> Result<Json<PoliciesView>, ApiError> {
    let set = load(&*st.store, p).await?;
    Ok(Json(PoliciesView {
        defaults: Policy::default(),
        partner: set.partner.unwrap_or_default(),
        customers: set
            .customers
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        devices: set.devices.into_iter().collect(),
    }))
}

fn checked(doc: PolicyDocument) -> Result<PolicyDocument, ApiError> {
    doc.validate().map_err(ApiError::Validation)?;
    Ok(doc)
}

fn serial(s: &str) -> Result<DeviceSerial, ApiError> {
    DeviceSerial::parse(s).map_err(|e| ApiError::BadRequest {
        field: Some("serial".into()),
        detail: format!("serial: {e}"),
    })
}

fn customer_id(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::BadRequest {
        field: Some("id".into()),
        detail: "id: must be a customer id (UUID)".into(),
    })
}

/// Sets the partner's policy document (replaces the previous one).
#[utoipa::path(put, path = "/api/v1/fleet/policies/partner", security(("api_key" = [])),
    request_body = PolicyDocument,
    responses((status = 200, body = PolicyDocument), (status = 422, body = Problem)))]
pub async fn put_partner_policy(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    ApiJson(doc): ApiJson<PolicyDocument>,
) -> Result<Json<PolicyDocument>, ApiError> {
    let doc = checked(doc)?;
    st.store
        .put_policy(p, PolicyScope::Partner, &p.to_string(), &doc)
        .await?;
    Ok(Json(doc))
}

/// Sets a customer's policy document (overrides the partner's).
#[utoipa::path(put, path = "/api/v1/fleet/policies/customers/{id}", security(("api_key" = [])), params(("id" = uuid::Uuid, Path, description = "the customer's id")),
    request_body = PolicyDocument,
    responses((status = 200, body = PolicyDocument), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_customer_policy(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<PolicyDocument>,
) -> Result<Json<PolicyDocument>, ApiError> {
    let id = customer_id(&id)?;
    let doc = checked(doc)?;
    if !st.store.list_customers(p).await?.iter().any(|c| c.id == id) {
        return Err(ApiError::NotFound("customer"));
    }
    st.store
        .put_policy(p, PolicyScope::Customer, &id.to_string(), &doc)
        .await?;
    Ok(Json(doc))
}

/// Removes a customer's policy document.
#[utoipa::path(delete, path = "/api/v1/fleet/policies/customers/{id}", security(("api_key" = [])), params(("id" = uuid::Uuid, Path, description = "the customer's id")),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_customer_policy(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = customer_id(&id)?;
    if !st
        .store
        .delete_policy(p, PolicyScope::Customer, &id.to_string())
        .await?
    {
        return Err(ApiError::NotFound("policy"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a device's policy document (overrides its customer's and the partner's).
#[utoipa::path(put, path = "/api/v1/fleet/policies/devices/{serial}", security(("api_key" = [])), params(("serial" = proto::DeviceSerial, Path)),
    request_body = PolicyDocument,
    responses((status = 200, body = PolicyDocument), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_device_policy(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(s): Path<String>,
    ApiJson(doc): ApiJson<PolicyDocument>,
) -> Result<Json<PolicyDocument>, ApiError> {
    let s = serial(&s)?;
    let doc = checked(doc)?;
    if st.store.get_device(p, &s).await?.is_none() {
        return Err(ApiError::NotFound("device"));
    }
    st.store
        .put_policy(p, PolicyScope::Device, s.as_str(), &doc)
        .await?;
    Ok(Json(doc))
}

/// Removes a device's policy document.
#[utoipa::path(delete, path = "/api/v1/fleet/policies/devices/{serial}", security(("api_key" = [])), params(("serial" = proto::DeviceSerial, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_device_policy(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(s): Path<String>,
) -> Result<StatusCode, ApiError> {
    let s = serial(&s)?;
    if !st
        .store
        .delete_policy(p, PolicyScope::Device, s.as_str())
        .await?
    {
        return Err(ApiError::NotFound("policy"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The policy that applies to a device (defaults, partner, customer, device).
#[utoipa::path(get, path = "/api/v1/fleet/policies/devices/{serial}/effective", security(("api_key" = [])), params(("serial" = proto::DeviceSerial, Path)),
    responses((status = 200, body = Policy), (status = 404, body = Problem)))]
pub async fn effective_device_policy(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(s): Path<String>,
) -> Result<Json<Policy>, ApiError> {
    let s = serial(&s)?;
    let device = st
        .store
        .get_device(p, &s)
        .await?
        .ok_or(ApiError::NotFound("device"))?;
    let set = load(&*st.store, p).await?;
    Ok(Json(
        set.effective(Some(device.customer_id), Some(s.as_str())),
    ))
}

/// Sets a device's supplies contract: while it runs, supplies are ordered automatically.
#[utoipa::path(put, path = "/api/v1/fleet/devices/{serial}/supplies-contract", security(("api_key" = [])), params(("serial" = proto::DeviceSerial, Path)),
    request_body = Contract,
    responses((status = 200, body = Contract), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_supplies_contract(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(s): Path<String>,
    ApiJson(c): ApiJson<Contract>,
) -> Result<Json<Contract>, ApiError> {
    let s = serial(&s)?;
    let c = Contract::new(c.starts_on, c.ends_on).map_err(|e| {
        ApiError::Validation(vec![FieldProblem {
            field: "ends_on".into(),
            detail: e.to_string(),
        }])
    })?;
    st.store.set_supplies_contract(p, &s, Some(c)).await?;
    Ok(Json(c))
}

/// Ends a device's supplies contract (no more automatic orders).
#[utoipa::path(delete, path = "/api/v1/fleet/devices/{serial}/supplies-contract", security(("api_key" = [])), params(("serial" = proto::DeviceSerial, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_supplies_contract(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(s): Path<String>,
) -> Result<StatusCode, ApiError> {
    let s = serial(&s)?;
    st.store.set_supplies_contract(p, &s, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        get_policies,
        put_partner_policy,
        put_customer_policy,
        delete_customer_policy,
        put_device_policy,
        delete_device_policy,
        effective_device_policy,
        put_supplies_contract,
        delete_supplies_contract,
        device_conditions
    ),
    components(schemas(Policy, PolicyDocument, PoliciesView, PolicyScope, Contract, Condition))
)]
pub struct FleetPolicyApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_document_overrides_the_customer_which_overrides_the_partner() {
        let c = Uuid::from_u128(7);
        let mut set = PolicySet {
            partner: Some(PolicyDocument {
                order_within_days: Some(20),
                order_below_percent: Some(30),
                ..Default::default()
            }),
            ..Default::default()
        };
        set.customers.insert(
            c,
            PolicyDocument {
                order_within_days: Some(5),
                ..Default::default()
            },
        );
        set.devices.insert(
            "SN1".into(),
            PolicyDocument {
                silent_after_days: Some(1),
                order_within_days: Some(2),
                ..Default::default()
            },
        );
        let other = set.effective(None, Some("SN2"));
        assert_eq!(
            (other.order_within_days, other.order_below_percent),
            (20, 30)
        );
        let cust = set.effective(Some(c), Some("SN2"));
        assert_eq!((cust.order_within_days, cust.order_below_percent), (5, 30));
        let dev = set.effective(Some(c), Some("SN1"));
        assert_eq!(
            (
                dev.order_within_days,
                dev.silent_after_days,
                dev.order_below_percent
            ),
            (2, 1, 30)
        );
        assert_eq!(Policy::default().silent_after_days, 3);
        assert_eq!(
            Policy::default().forecast_min_history(),
            chrono::Duration::days(1)
        );
        assert!(
            PolicyDocument {
                forecast_min_history_minutes: Some(43_200),
                ..Default::default()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn a_bad_document_names_each_bad_field() {
        let doc = PolicyDocument {
            order_below_percent: Some(101),
            silent_after_days: Some(0),
            forecast_min_history_minutes: Some(0),
            alert_severities: Some(vec!["loud".into()]),
            error_states: Some(vec!["jammed".into(), "melted".into()]),
            ..Default::default()
        };
        let fields: Vec<String> = doc
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "order_below_percent",
                "silent_after_days",
                "forecast_min_history_minutes",
                "alert_severities",
                "error_states"
            ]
        );
    }
}
