//! Requesting supplies (a supply incident) for the supplies the person picked from the device report.

use proto::AppConfiguration;
use proto::manager::ContactBody;
use serde::{Deserialize, Serialize};

use super::submission::{Accepted, Payload, payload_base};
use super::{ContactInput, RuleError};
use crate::service::{DeviceContext, Services};
use crate::store::SubmissionKind;

/// A supply the person picked from the device report.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SupplyPick {
    pub index: String,
    #[schema(schema_with = proto::manager::schemas::supply_description)]
    pub description: String,
    #[serde(default)]
    #[schema(schema_with = proto::manager::schemas::part_number)]
    pub part_number: Option<String>,
    #[serde(default)]
    #[schema(schema_with = proto::manager::schemas::colorant)]
    pub colorant: Option<String>,
    #[serde(default, deserialize_with = "proto::text::whole::optional")]
    #[schema(schema_with = proto::manager::schemas::level_percent)]
    pub percent: Option<u8>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SupplyRequestInput {
    /// 1–20 supplies.
    #[schema(schema_with = supplies)]
    pub supplies: Vec<SupplyPick>,
    pub contact: ContactInput,
}

fn supplies() -> utoipa::openapi::schema::Schema {
    proto::schema::array(
        proto::schema::reference("SupplyPick"),
        1,
        proto::manager::limits::MAX_SUPPLIES,
    )
}

impl Services {
    pub async fn check_supplies_allowed(
        &self,
        device: &DeviceContext,
        config: &AppConfiguration,
    ) -> Result<(), RuleError> {
        super::startup::check_tab(device, config, proto::Tab::Supplies)?;
        if !config.permissions.create_supply_incidents {
            return Err(RuleError::Forbidden(
                device.locale(Some(config)).t("rule-supplies-switched-off"),
            ));
        }
        // Demo Mode too: a demo shows what this device may do (rules::demo).
        let e = self.gallery.entitlements(device, self.clock.now()).await?;
        if !e.supplies_on(self.today()) {
            return Err(RuleError::Forbidden(
                device.locale(Some(config)).t("rule-no-supplies-contract"),
            ));
        }
        Ok(())
    }

    pub fn validate_supplies(&self, req: &SupplyRequestInput) -> Result<ContactBody, RuleError> {
        let mut f = proto::problem::Fields::default();
        if req.supplies.is_empty() {
            f.push("supplies", "pick at least one supply");
        }
        // The Services Manager's own rules (count, lengths, control characters, levels), so
        // nothing acknowledged here is refused there.
        proto::manager::check_supplies(&supply_items(&req.supplies), &mut f);
        let mut errors = f.0;
        let contact = req.contact.check("contact.", &mut errors);
        match contact {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(RuleError::Invalid(errors)),
        }
    }

    /// Requests supplies: allowed for this device, valid, then accepted into the outbox.
    pub async fn create_supply(
        &self,
        device: &DeviceContext,
        sealed_config: Option<&str>,
        idempotency_key: Option<&str>,
        body: SupplyRequestInput,
    ) -> Result<Accepted, RuleError> {
        let config = self.open_config(sealed_config)?;
        self.check_supplies_allowed(device, &config).await?;
        let contact = self.validate_supplies(&body)?;
        let payload = Payload {
            supplies: body.supplies.clone(),
            ..payload_base(&config, None, device.locale(Some(&config)))
        };
        let mail = config.confirmation_email.supply_incident;
        self.submit(
            device,
            SubmissionKind::SupplyIncident,
            idempotency_key,
            payload,
            Some(contact),
            mail,
        )
        .await
    }
}

/// The picks as the Services Manager's supply items.
pub(crate) fn supply_items(picks: &[SupplyPick]) -> Vec<proto::manager::SupplyItem> {
    picks
        .iter()
        .map(|p| proto::manager::SupplyItem {
            description: p.description.clone(),
            part_number: p.part_number.clone(),
            colorant: p.colorant.clone(),
            level_percent: p.percent,
        })
        .collect()
}
