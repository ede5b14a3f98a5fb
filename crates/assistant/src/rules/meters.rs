//! Submitting meter reads (the billing meters the device reports), with or without a contact for
//! the confirmation e-mail.

use proto::AppConfiguration;
use proto::manager::{ContactBody, MeterValueBody, RecordMeterReadRequest};
use serde::{Deserialize, Serialize};

use super::submission::{Accepted, Payload, payload_base};
use super::{ContactInput, RuleError};
use crate::service::{DeviceContext, Services};
use crate::store::{Submission, SubmissionKind};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MeterInput {
    #[schema(schema_with = proto::manager::schemas::meter_id)]
    pub id: String,
    #[schema(schema_with = proto::manager::schemas::meter_name)]
    pub name: String,
    #[schema(schema_with = proto::manager::schemas::meter_value)]
    #[serde(deserialize_with = "proto::text::whole::number")]
    pub value: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MeterSubmissionInput {
    /// 1–200 meters, each id once.
    #[schema(schema_with = meters)]
    pub meters: Vec<MeterInput>,
    /// For the confirmation e-mail, when the person wants one.
    #[serde(default)]
    pub contact: Option<ContactInput>,
}

fn meters() -> utoipa::openapi::schema::Schema {
    proto::schema::array(
        proto::schema::reference("MeterInput"),
        1,
        proto::manager::limits::MAX_METERS,
    )
}

impl Services {
    pub fn check_meters_allowed(
        &self,
        device: &DeviceContext,
        config: &AppConfiguration,
    ) -> Result<(), RuleError> {
        super::startup::check_tab(device, config, proto::Tab::Meters)?;
        if !config.permissions.submit_meters {
            return Err(RuleError::Forbidden(
                device.locale(Some(config)).t("rule-meters-switched-off"),
            ));
        }
        Ok(())
    }

    pub fn validate_meters(
        &self,
        req: &MeterSubmissionInput,
    ) -> Result<Option<ContactBody>, RuleError> {
        let mut f = proto::problem::Fields::default();
        // The Services Manager's own rules: 1–200 meters, ids and names, no negative value,
        // no id twice.
        proto::manager::check_meters(&meter_bodies(&req.meters), &mut f);
        let mut errors = f.0;
        let contact = match &req.contact {
            Some(c) if !(c.name.trim().is_empty() && c.email.trim().is_empty()) => {
                c.check("contact.", &mut errors)
            }
            _ => None,
        };
        if errors.is_empty() {
            Ok(contact)
        } else {
            Err(RuleError::Invalid(errors))
        }
    }

    /// Submits meter reads: allowed, valid, then accepted into the outbox.
    pub async fn submit_meters(
        &self,
        device: &DeviceContext,
        sealed_config: Option<&str>,
        idempotency_key: Option<&str>,
        body: MeterSubmissionInput,
    ) -> Result<Accepted, RuleError> {
        let config = self.open_config(sealed_config)?;
        self.check_meters_allowed(device, &config)?;
        let contact = self.validate_meters(&body)?;
        let payload = Payload {
            meters: body.meters.clone(),
            ..payload_base(&config, None, device.locale(Some(&config)))
        };
        let mail = config.confirmation_email.meter_submission;
        self.submit(
            device,
            SubmissionKind::MeterRead,
            idempotency_key,
            payload,
            contact,
            mail,
        )
        .await
    }
}

/// The meters as the Services Manager's meter values.
fn meter_bodies(meters: &[MeterInput]) -> Vec<MeterValueBody> {
    meters
        .iter()
        .map(|m| MeterValueBody {
            id: m.id.clone(),
            name: m.name.clone(),
            value: m.value,
        })
        .collect()
}

/// The request the Services Manager gets for a meter submission.
pub fn meter_request(s: &Submission, payload: &Payload) -> RecordMeterReadRequest {
    RecordMeterReadRequest {
        read_at: s.created_at,
        source: "walk_up".into(),
        meter_replacement: false,
        meters: meter_bodies(&payload.meters),
    }
}
