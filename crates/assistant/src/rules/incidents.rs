//! Incidents: the device's incidents of the last 30 days (for the shared panel, without contact
//! details), and reporting a fault (a service incident).

use proto::AppConfiguration;
use proto::manager::{ContactBody, CreateIncidentRequest, IncidentView};
use serde::{Deserialize, Serialize};

use super::submission::{Accepted, Payload, payload_base};
use super::supplies::supply_items;
use super::{ContactInput, FieldError, RuleError};
use crate::service::{DeviceContext, Services};
use crate::store::{Submission, SubmissionKind};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ServiceRequest {
    /// One of the common issues (`GET /api/v1/service-issues`).
    #[schema(schema_with = issue_codes)]
    pub issue_code: String,
    #[serde(default)]
    #[schema(schema_with = proto::manager::schemas::description)]
    pub description: String,
    pub contact: ContactInput,
}

/// `issue_code`: exactly one of the common issues' codes.
fn issue_codes() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(proto::issues::CODES.iter().copied()))
        .build()
}

impl Services {
    /// The device's incidents of the last 30 days, contact details removed (the panel is shared).
    pub async fn recent_incidents(
        &self,
        device: &DeviceContext,
    ) -> Result<Vec<IncidentView>, RuleError> {
        if device.demo {
            return Ok(super::demo::incidents(self.clock.now()));
        }
        let since = self.clock.now() - chrono::Duration::days(30);
        let client = self.managers.for_tenant(&device.tenant)?;
        let mut list = client
            .list_device_incidents(&device.serial, since)
            .await
            .map_err(|e| {
                RuleError::Unavailable(format!("the Services Manager did not answer: {e}"))
            })?;
        for i in &mut list {
            i.contact = None;
        }
        Ok(list)
    }

    pub async fn check_service_allowed(
        &self,
        device: &DeviceContext,
        config: &AppConfiguration,
    ) -> Result<(), RuleError> {
        super::startup::check_tab(device, config, proto::Tab::Service)?;
        if !config.permissions.create_service_incidents {
            return Err(RuleError::Forbidden(
                device.locale(Some(config)).t("rule-service-switched-off"),
            ));
        }
        // Demo Mode too: a demo shows what this device may do (rules::demo).
        let e = self.gallery.entitlements(device, self.clock.now()).await?;
        if !e.service_on(self.today()) {
            return Err(RuleError::Forbidden(
                device.locale(Some(config)).t("rule-no-service-contract"),
            ));
        }
        Ok(())
    }

    /// Validates a service request without sending it (the wizard's steps use this too).
    pub fn validate_service(
        &self,
        req: &ServiceRequest,
        language: &str,
    ) -> Result<ContactBody, RuleError> {
        let mut errors = Vec::new();
        if crate::issues::label(&req.issue_code, language).is_none() {
            errors.push(FieldError::new(
                "issue_code",
                "pick one of the common issues",
            ));
        }
        // Free text by the Services Manager's rule (`proto::FreeText`).
        if let Err(e) = proto::FreeText::parse(&req.description) {
            errors.push(FieldError::new("description", e.0));
        }
        let contact = req.contact.check("contact.", &mut errors);
        match contact {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(RuleError::Invalid(errors)),
        }
    }

    /// Reports a fault: allowed for this device, valid, then accepted into the outbox.
    pub async fn create_service(
        &self,
        device: &DeviceContext,
        sealed_config: Option<&str>,
        idempotency_key: Option<&str>,
        body: ServiceRequest,
    ) -> Result<Accepted, RuleError> {
        let config = self.open_config(sealed_config)?;
        self.check_service_allowed(device, &config).await?;
        let language = device.locale(Some(&config));
        let contact = self.validate_service(&body, language.code())?;
        let payload = Payload {
            issue_code: Some(body.issue_code.clone()),
            description: body.description.trim().to_string(),
            ..payload_base(&config, None, language)
        };
        let mail = config.confirmation_email.service_incident;
        self.submit(
            device,
            SubmissionKind::ServiceIncident,
            idempotency_key,
            payload,
            Some(contact),
            mail,
        )
        .await
    }
}

/// The request the Services Manager gets for an incident submission.
pub fn incident_request(
    s: &Submission,
    payload: &Payload,
    contact: ContactBody,
) -> CreateIncidentRequest {
    let supply = s.kind == SubmissionKind::SupplyIncident;
    CreateIncidentRequest {
        device_serial: s.device_serial.clone(),
        kind: if supply { "supply" } else { "service" }.into(),
        issue_code: if supply {
            None
        } else {
            payload.issue_code.clone()
        },
        description: payload.description.clone(),
        supplies: supply_items(&payload.supplies),
        contact,
    }
}
