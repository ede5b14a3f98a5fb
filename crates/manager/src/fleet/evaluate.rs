//! The policy evaluator (issue 13): from each device's last reading and supply history it works out
//! which conditions hold — a supply to order, a printer alert the policy raises, a silent device or
//! agent — and makes the stored conditions agree: opens new ones (with their automatic incident),
//! raises waiting ones (a jam that persisted), clears gone ones (resolving or closing the incident
//! with a history entry) and sends the notifications.
//!
//! It runs after stored batches, for their devices ([`AfterBatch`], off the upload's path: the
//! devices await evaluation durably in `fleet_devices`), and periodically for every partner, the
//! periodic run under a lease in the database so that of several manager instances one runs it.
//! Either way the unique open condition per key keeps a second run from doing anything twice.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

use super::devices::{ForecastTarget, Refresh, SupplyForecastView, device_forecasts};
use super::notify::{EventData, emit, events};
use super::policy::{self, Policy};
use super::rules_store::{AutoIncident, Condition, NewCondition, Raised, kinds};
use crate::clock::Clock;
use crate::domain::{IncidentKind, IncidentStatus};
use crate::storage::{Result, Storage, SupplyItem};
use proto::fleet::StoredReading;

/// Which of a partner's devices to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// All devices and agents.
    All,
    /// These devices (by serial; those of an agent's batch); agents are left to the periodic run.
    Devices(HashSet<String>),
}

/// What one evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub devices: usize,
    pub opened: usize,
    pub raised: usize,
    pub incidents: usize,
    pub cleared: usize,
}

/// A condition that holds now.
struct Want {
    kind: &'static str,
    key: String,
    serial: Option<String>,
    agent_id: Option<Uuid>,
    detail: String,
    seen_at: DateTime<Utc>,
    /// Since when it holds (a new condition starts then).
    first_seen_at: DateTime<Utc>,
    /// Raise now (else wait: an alert that must persist).
    due: bool,
    incident: Option<AutoIncident>,
    level: Option<i64>,
    data: EventData,
}

/// hrPrinterDetectedErrorState bit of a device that calls for service (RFC 2790).
const SERVICE_REQUESTED: &str = "serviceRequested";

/// hrPrinterDetectedErrorState bits that name the same condition as an alert code: when the alert
/// table reports it, the bit adds no second incident.
const SAME_AS_ALERT: [(&str, &[&str]); 2] = [
    ("jammed", &["jam"]),
    ("doorOpen", &["doorOpen", "coverOpen", "interlockOpen"]),
];

fn supply_wants(
    serial: &str,
    customer: Uuid,
    last: &StoredReading,
    forecasts: &[SupplyForecastView],
    policy: &Policy,
    contract: bool,
) -> Vec<Want> {
    let mut out = Vec::new();
    for f in forecasts {
        let receptacle = f.runs_out == "full";
        let soon = f
            .days_left
            .is_some_and(|d| d <= f64::from(policy.order_within_days));
        let low = if receptacle {
            matches!(f.status.as_str(), "almost_full" | "full")
        } else {
            f.percent.is_some_and(|p| p < policy.order_below_percent)
                || (f.percent.is_none() && f.status == "empty")
        };
        if !(soon || low) {
            continue;
        }
        let supply = last.supplies.iter().find(|s| s.index == f.index);
        let level = f
            .percent
            .map(|p| format!("{p} %"))
            .unwrap_or_else(|| f.status.replace('_', " "));
        let when = match (f.days_left, f.predicted_date) {
            (Some(d), Some(date)) => format!(
                ", {} in about {d} days ({})",
                if receptacle { "full" } else { "empty" },
                date.format("%Y-%m-%d")
            ),
            _ => String::new(),
        };
        let detail = format!("{} at {level}{when}", f.description);
        out.push(Want {
            kind: kinds::SUPPLY_LOW,
            key: format!("supply_low/{serial}/{}", f.index),
            serial: Some(serial.to_string()),
            agent_id: None,
            detail: detail.clone(),
            seen_at: last.read_at,
            first_seen_at: last.read_at,
            due: true,
            incident: contract.then(|| AutoIncident {
                kind: IncidentKind::Supply,
                description: format!("Automatic order: {detail}"),
                supplies: vec![SupplyItem {
                    description: f.description.chars().take(200).collect(),
                    part_number: supply
                        .and_then(|s| s.part_number.clone())
                        .map(|p| p.chars().take(64).collect()),
                    colorant: f.colorant.clone().map(|c| c.chars().take(64).collect()),
                    level_percent: f.percent,
                }],
            }),
            level: f.percent.map(i64::from),
            data: EventData {
                device_serial: Some(serial.to_string()),
                customer_id: Some(customer),
                supply: Some(f.description.clone()),
                percent: f.percent,
                days_left: f.days_left,
                predicted_date: f.predicted_date,
                detail,
                ..Default::default()
            },
        });
    }
    out
}

fn alert_wants(
    serial: &str,
    customer: Uuid,
    last: &StoredReading,
    policy: &Policy,
    open: &HashMap<String, Condition>,
) -> Vec<Want> {
    let mut out = Vec::new();
    let persist = chrono::Duration::minutes(i64::from(policy.persist_minutes));
    // `said` is the incident's description, which the person at the panel reads: the printer's own
    // words (prtAlertDescription, in the language the printer is set to), not the codes of `detail`
    // (which the console's alert history and the notifications carry).
    let mut push = |key: String, raises: bool, persisting: bool, detail: String, said: String| {
        if !(raises || persisting) {
            return;
        }
        let first = open
            .get(&key)
            .map(|c| c.first_seen_at)
            .unwrap_or(last.read_at)
            .min(last.read_at);
        let due = raises || last.read_at - first >= persist;
        out.push(Want {
            kind: kinds::ALERT,
            key: key.clone(),
            serial: Some(serial.to_string()),
            agent_id: None,
            detail: detail.clone(),
            seen_at: last.read_at,
            first_seen_at: first,
            due,
            incident: Some(AutoIncident {
                kind: IncidentKind::Service,
                description: said,
                supplies: vec![],
            }),
            level: None,
            data: EventData {
                device_serial: Some(serial.to_string()),
                customer_id: Some(customer),
                condition: Some(key),
                detail,
                ..Default::default()
            },
        });
    };
    let has = |v: &[String], s: &str| v.iter().any(|x| x == s);
    let mut seen = HashSet::new();
    // An alert row that raises a field-service incident is the service request itself: the bit
    // serviceRequested of the same reading adds no second incident.
    let mut service_alert = false;
    for a in &last.alerts {
        let raises = (has(&policy.alert_severities, &a.severity)
            && a.training_level
                .as_deref()
                .is_some_and(|t| has(&policy.alert_training_levels, t)))
            || has(&policy.alert_codes, &a.code_name);
        service_alert |= raises
            && (a.training_level.as_deref() == Some("field_service")
                || has(&policy.alert_codes, &a.code_name));
        let persisting = has(&policy.persisting_alert_codes, &a.code_name);
        let key = format!(
            "alert/{serial}/{}/{}/{}",
            a.code_name,
            a.group.as_deref().unwrap_or("-"),
            a.location
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into())
        );
        if !seen.insert(key.clone()) {
            continue;
        }
        let said = if a.description.trim().is_empty() {
            a.code_name.clone()
        } else {
            a.description.trim().to_string()
        };
        let detail = format!(
            "{said} ({}, {}{})",
            a.code_name,
            a.severity,
            a.training_level
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default()
        );
        push(key, raises, persisting, detail, said);
    }
    for bit in &last.status.errors {
        let covered = SAME_AS_ALERT.iter().any(|(b, codes)| {
            b == bit
                && last
                    .alerts
                    .iter()
                    .any(|a| codes.contains(&a.code_name.as_str()))
        });
        if covered || (bit == SERVICE_REQUESTED && service_alert) {
            continue;
        }
        let raises = has(&policy.error_states, bit);
        let persisting = has(&policy.persisting_error_states, bit);
        push(
            format!("alert/{serial}/state/{bit}"),
            raises,
            persisting,
            format!("the printer reports {bit} (hrPrinterDetectedErrorState)"),
            format!("The printer reports {bit}"),
        );
    }
    out
}

/// Evaluates the partner's policies for the devices (and agents) in `scope` at `now`.
pub async fn evaluate(
    store: &dyn Storage,
    partner: Uuid,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let clock = platform::clock::SystemClock;
    let mut phases = super::store::Phases::new(&clock);
    let policies = policy::load(store, partner).await?;
    let contracts = store.supplies_contracts(partner).await?;
    // Scoped to a batch's devices, every query is about those devices only: the cost of an
    // evaluation after a batch follows the batch, not the size of the partner's fleet.
    let (open, devices) = match &scope {
        Scope::All => (
            store.open_conditions(partner).await?,
            store.fleet_devices(partner).await?,
        ),
        Scope::Devices(only) => {
            let serials: Vec<String> = only.iter().cloned().collect();
            (
                store.open_conditions_of(partner, &serials).await?,
                store.fleet_devices_of(partner, &serials).await?,
            )
        }
    };
    phases.mark("load");
    // The forecasts, computed from the history (a few devices per query) and stored for the
    // readers (the fleet API and console): new readings are why an evaluation runs.
    let mut all_forecasts = {
        let targets: Vec<ForecastTarget> = devices
            .iter()
            .filter(|d| match &scope {
                Scope::Devices(only) => only.contains(&d.serial),
                Scope::All => true,
            })
            .filter_map(|d| {
                d.last.as_ref().map(|last| ForecastTarget {
                    serial: &d.serial,
                    last,
                    min_span: policies
                        .effective(Some(d.customer_id), Some(&d.serial))
                        .forecast_min_history(),
                })
            })
            .collect();
        device_forecasts(store, partner, &targets, now, Refresh::Always).await?
    };
    phases.mark("forecasts");
    let open: HashMap<String, Condition> = open.into_iter().map(|c| (c.key.clone(), c)).collect();
    let customers: HashMap<String, Uuid> = devices
        .iter()
        .map(|d| (d.serial.clone(), d.customer_id))
        .collect();
    let mut outcome = Outcome::default();
    let mut wants: Vec<Want> = Vec::new();
    // Devices whose conditions this run may clear, with their last reading.
    let mut evaluated: HashMap<String, StoredReading> = HashMap::new();
    let today = now.date_naive();
    for d in devices {
        let customer = d.customer_id;
        if let Scope::Devices(only) = &scope
            && !only.contains(&d.serial)
        {
            continue;
        }
        let Some(last) = d.last else { continue };
        outcome.devices += 1;
        let policy = policies.effective(Some(customer), Some(&d.serial));
        let silent_after = chrono::Duration::days(i64::from(policy.silent_after_days));
        if now - last.read_at >= silent_after {
            let detail = format!(
                "{} has not been read since {}",
                d.serial,
                last.read_at.format("%Y-%m-%d %H:%M UTC")
            );
            wants.push(Want {
                kind: kinds::DEVICE_SILENT,
                key: format!("device_silent/{}", d.serial),
                serial: Some(d.serial.clone()),
                agent_id: None,
                detail: detail.clone(),
                seen_at: now,
                first_seen_at: last.read_at,
                due: true,
                incident: None,
                level: None,
                data: EventData {
                    device_serial: Some(d.serial.clone()),
                    customer_id: Some(customer),
                    since: Some(last.read_at),
                    condition: Some(format!("device_silent/{}", d.serial)),
                    detail,
                    ..Default::default()
                },
            });
        }
        let forecasts = all_forecasts.remove(&d.serial).unwrap_or_default();
        let contract = contracts.get(&d.serial).is_some_and(|c| c.covers(today));
        wants.extend(supply_wants(
            &d.serial, customer, &last, &forecasts, &policy, contract,
        ));
        wants.extend(alert_wants(&d.serial, customer, &last, &policy, &open));
        evaluated.insert(d.serial.clone(), last);
    }
    if scope == Scope::All {
        for a in store.list_agents(partner).await? {
            if a.state != "active" {
                continue;
            }
            let policy = policies.effective(Some(a.customer_id), None);
            let Some(contact) = a.last_contact_at else {
                continue;
            };
            if now - contact < chrono::Duration::days(i64::from(policy.silent_after_days)) {
                continue;
            }
            let key = format!("agent_silent/{}", a.id);
            let detail = format!(
                "agent {} of {} has not called in since {}",
                a.name,
                a.customer_name,
                contact.format("%Y-%m-%d %H:%M UTC")
            );
            wants.push(Want {
                kind: kinds::AGENT_SILENT,
                key: key.clone(),
                serial: None,
                agent_id: Some(a.id),
                detail: detail.clone(),
                seen_at: now,
                first_seen_at: contact,
                due: true,
                incident: None,
                level: None,
                data: EventData {
                    agent_id: Some(a.id),
                    customer_id: Some(a.customer_id),
                    since: Some(contact),
                    condition: Some(key),
                    detail,
                    ..Default::default()
                },
            });
        }
    }

    phases.mark("wants");
    let wanted: HashSet<String> = wants.iter().map(|w| w.key.clone()).collect();
    for w in wants {
        let raised = match open.get(&w.key) {
            Some(c) if c.raised_at.is_none() && w.due => {
                let r = store
                    .raise_condition(partner, c.id, w.incident.as_ref())
                    .await?;
                if r.is_none() {
                    continue;
                }
                r
            }
            Some(c) => {
                store
                    .touch_condition(partner, c.id, w.seen_at, &w.detail)
                    .await?;
                continue;
            }
            None => {
                let new = NewCondition {
                    kind: w.kind,
                    key: w.key.clone(),
                    serial: w.serial.clone(),
                    agent_id: w.agent_id,
                    detail: w.detail.clone(),
                    first_seen_at: w.first_seen_at,
                    raise: w.due,
                    incident: w.incident.clone(),
                    level_at_open: w.level,
                };
                let r = store.open_condition(partner, &new).await?;
                if r.is_some() {
                    outcome.opened += 1;
                }
                r
            }
        };
        if let Some(r) = raised
            && r.raised
        {
            outcome.raised += 1;
            announce(store, partner, &w, &r, now).await?;
            if r.incident.is_some() {
                outcome.incidents += 1;
            }
        }
    }

    phases.mark("conditions");
    for c in open.values() {
        if wanted.contains(&c.key) {
            continue;
        }
        let in_scope = match (&c.device_serial, c.agent_id) {
            (Some(serial), _) => evaluated.get(serial),
            (None, Some(_)) if scope == Scope::All => None,
            _ => continue,
        };
        let (to, comment) = match c.kind.as_str() {
            kinds::SUPPLY_LOW => {
                // An order stays open until the supply was replaced: its level jumped up.
                let Some(last) = in_scope else { continue };
                let index = c.key.rsplit('/').next().unwrap_or_default();
                let Some(s) = last.supplies.iter().find(|s| s.index == index) else {
                    continue;
                };
                let receptacle = s.class == proto::fleet::SupplyClass::Receptacle;
                let replaced = match (s.percent.map(i64::from), c.level_at_open) {
                    (Some(now_pct), Some(then)) if receptacle => now_pct + 10 < then,
                    (Some(now_pct), Some(then)) => now_pct > then + 10,
                    (Some(_), None) => true,
                    _ => false,
                };
                if !replaced {
                    continue;
                }
                (
                    IncidentStatus::Closed,
                    format!(
                        "closed automatically: {} was replaced (now {})",
                        s.description,
                        s.percent
                            .map(|p| format!("{p} %"))
                            .unwrap_or_else(|| s.status.as_str().to_string())
                    ),
                )
            }
            kinds::ALERT => {
                if in_scope.is_none() {
                    continue;
                }
                (
                    IncidentStatus::Resolved,
                    "resolved automatically: the printer no longer reports the alert".to_string(),
                )
            }
            kinds::DEVICE_SILENT => {
                if in_scope.is_none() {
                    continue;
                }
                (IncidentStatus::Resolved, String::new())
            }
            kinds::AGENT_SILENT => (IncidentStatus::Resolved, String::new()),
            _ => continue,
        };
        let Some(changed) = store.clear_condition(partner, c.id, to, &comment).await? else {
            continue;
        };
        outcome.cleared += 1;
        let data = EventData {
            device_serial: c.device_serial.clone(),
            customer_id: c
                .device_serial
                .as_ref()
                .and_then(|s| customers.get(s).copied()),
            agent_id: c.agent_id,
            condition: Some(c.key.clone()),
            incident_number: c.incident_number.clone(),
            detail: c.detail.clone(),
            ..Default::default()
        };
        if c.kind == kinds::ALERT && c.raised_at.is_some() {
            emit(store, partner, events::ALERT_CLEARED, now, data.clone()).await?;
        }
        if let Some((number, status)) = changed {
            emit(
                store,
                partner,
                events::INCIDENT_STATUS_CHANGED,
                now,
                EventData {
                    incident_number: Some(number.to_string()),
                    incident_status: Some(status.as_str().into()),
                    source: Some("automatic".into()),
                    detail: comment,
                    ..data
                },
            )
            .await?;
        }
    }
    phases.mark("clears");
    tracing::debug!(%phases, "evaluated (ms per phase)");
    Ok(outcome)
}

/// The notifications of a condition raised now.
async fn announce(
    store: &dyn Storage,
    partner: Uuid,
    w: &Want,
    r: &Raised,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut data = w.data.clone();
    data.incident_number = r.incident.as_ref().map(|n| n.to_string());
    let first = match w.kind {
        kinds::SUPPLY_LOW => events::SUPPLY_FORECAST_LOW,
        kinds::ALERT => events::ALERT_RAISED,
        kinds::DEVICE_SILENT => events::DEVICE_SILENT,
        _ => events::AGENT_SILENT,
    };
    emit(store, partner, first, now, data.clone()).await?;
    if r.incident.is_some() {
        if w.kind == kinds::SUPPLY_LOW {
            emit(store, partner, events::ORDER_CREATED, now, data.clone()).await?;
        }
        data.incident_status = Some("open".into());
        data.source = Some("automatic".into());
        emit(store, partner, events::INCIDENT_CREATED, now, data).await?;
    }
    Ok(())
}

/// Devices evaluated at once by [`drain`]: one evaluation (its queries and one write of the
/// forecasts), then one write recording it.
pub const DRAIN_CHUNK: usize = 1000;

/// One pass over the devices whose stored readings await evaluation
/// ([`FleetStorage::devices_to_evaluate`]): up to `limit` of them, as waiting when the pass starts,
/// [`DRAIN_CHUNK`] at a time; returns how many it evaluated. A device whose evaluation fails stays
/// waiting (for the next pass), and the error is returned once the others are done. Several
/// passes at once (several instances) are harmless: the unique open condition per key keeps a
/// second evaluation from doing anything twice, and a device stays waiting while a batch stored
/// after its evaluation began is not evaluated.
///
/// [`FleetStorage::devices_to_evaluate`]: super::FleetStorage::devices_to_evaluate
pub async fn drain(store: &dyn Storage, clock: &dyn Clock, limit: u32) -> Result<usize> {
    let waiting = store.devices_to_evaluate(limit).await?;
    let mut by_partner: HashMap<Uuid, Vec<super::ToEvaluate>> = HashMap::new();
    for d in waiting {
        by_partner.entry(d.partner_id).or_default().push(d);
    }
    let mut evaluated = 0;
    let mut failed = None;
    for (partner, devices) in by_partner {
        for chunk in devices.chunks(DRAIN_CHUNK) {
            let serials: HashSet<String> = chunk.iter().map(|d| d.serial.clone()).collect();
            let done = match evaluate(store, partner, Scope::Devices(serials), clock.now()).await {
                Ok(_) => store.mark_evaluated(chunk).await,
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => evaluated += chunk.len(),
                // The other partners' devices are still evaluated.
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(evaluated),
    }
}

/// The evaluation after ingestion, off the upload's path: an upload is answered once its readings
/// are stored (the devices then await evaluation, durably), and [`AfterBatch::nudge`] starts one
/// [`drain`] task in this process unless one runs, which then runs again for what arrived
/// meanwhile. Under load one evaluation covers several batches of a device. What a crash or a
/// failure leaves waiting, the periodic [`Evaluator`] drains.
#[derive(Debug, Default)]
pub struct AfterBatch {
    running: std::sync::atomic::AtomicBool,
    again: std::sync::atomic::AtomicBool,
}

/// Devices one pass of the drain task takes on.
const PER_PASS: u32 = 50_000;

/// After a pass that evaluated something, the wait before the next (the first pass after a quiet
/// spell starts at once): under load, the next pass covers this while's batches of a device with
/// one evaluation, whose cost is the device's history whatever the number of new readings.
pub const BUSY_PAUSE: std::time::Duration = std::time::Duration::from_secs(2);

impl AfterBatch {
    /// A batch was stored: its devices are evaluated soon, in a task of this process.
    pub fn nudge(self: &Arc<Self>, store: Arc<dyn Storage>, clock: Arc<dyn Clock>) {
        use std::sync::atomic::Ordering::SeqCst;
        self.again.store(true, SeqCst);
        if self.running.swap(true, SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.again.store(false, SeqCst);
                match drain(&*store, &*clock, PER_PASS).await {
                    Ok(n) if n > 0 => {
                        tracing::debug!(devices = n, "evaluated after batches");
                        tokio::time::sleep(BUSY_PAUSE).await;
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "fleet evaluation after batches failed; the periodic run retries")
                    }
                }
                me.running.store(false, SeqCst);
                // A nudge after this pass read the waiting devices: run again, unless that
                // nudge started a task of its own.
                if !me.again.load(SeqCst) || me.running.swap(true, SeqCst) {
                    break;
                }
            }
        });
    }
}

/// The periodic evaluator: every partner, under a lease so that one manager instance runs it.
#[derive(Clone)]
pub struct Evaluator {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    /// This instance's name in the lease.
    pub holder: String,
}

/// The lease's name in `fleet_leases`.
pub const LEASE: &str = "fleet-evaluator";

impl Evaluator {
    pub fn new(store: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            holder: uuid::Builder::from_random_bytes(rand::random())
                .into_uuid()
                .to_string(),
        }
    }

    /// One run over every partner if this instance holds the lease for `every`; `None` when
    /// another instance holds it.
    pub async fn run_once(&self, every: std::time::Duration) -> Result<Option<Outcome>> {
        // What ingestion left waiting (a crash, a failed evaluation), on every instance; a device
        // that fails again stays waiting and holds up no partner's periodic run.
        if let Err(e) = drain(&*self.store, &*self.clock, PER_PASS).await {
            tracing::warn!(error = %e, "evaluating the devices left waiting failed");
        }
        let now = self.clock.now();
        let lease = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::minutes(5));
        if !self
            .store
            .take_lease(LEASE, &self.holder, now + lease)
            .await?
        {
            return Ok(None);
        }
        let mut total = Outcome::default();
        for p in self.store.list_partners().await? {
            let o = evaluate(&*self.store, p.id, Scope::All, self.clock.now()).await?;
            total.devices += o.devices;
            total.opened += o.opened;
            total.raised += o.raised;
            total.incidents += o.incidents;
            total.cleared += o.cleared;
        }
        Ok(Some(total))
    }

    pub async fn run_forever(self, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match self.run_once(every).await {
                Ok(Some(o)) if o.raised + o.cleared > 0 => {
                    tracing::info!(
                        devices = o.devices,
                        raised = o.raised,
                        incidents = o.incidents,
                        cleared = o.cleared,
                        "fleet policies evaluated"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "fleet evaluation failed"),
            }
        }
    }
}
