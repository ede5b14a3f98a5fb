# The partner console (crates/manager/src/console, crates/manager/src/fleet/console.rs,
# crates/manager/templates/console_*.html). The language is the browser's (Accept-Language).
console-app = Services Manager
console-title = Partner console
console-nav-incidents = Incidents
console-nav-devices = Devices
console-nav-users = Users
console-nav-fleet = Fleet
console-log-out = Log out

## Login
console-login-title = Log in
console-email = E-mail
console-password = Password
console-login-busy = The console is busy checking other logins. Try again in a moment.
console-login-locked = Too many failed attempts. Wait a few minutes and try again.
console-login-wrong = Wrong e-mail or password.

## Shared words
console-filter = Filter
console-apply = Apply
console-any = any
console-all = all
console-add = Add
console-delete = Delete
console-none = None.
console-never = never
console-new = new
console-silent = silent
console-customer = Customer
console-device = Device
console-status = Status
console-kind = Kind
console-from = From
console-to = To
console-search = Search
console-search-placeholder = serial, model, location
console-serial = Serial
console-model = Model
console-location = Location
console-name = Name
console-created = Created
console-issue = Issue
console-description = Description
console-contact = Contact
console-supply = Supply
console-part-number = Part number
console-colorant = Colorant
console-level = Level

## Incidents
console-incidents-title = Incidents
console-incidents-count = { $count ->
    [one] 1 incident
   *[other] { $count } incidents
}
console-page-of = page { $page } of { $pages }
console-download-csv = Download CSV (these filters)
console-number = Number
console-summary = Summary
console-previous = Previous
console-next = Next
console-kind-service = service
console-kind-supply = supply

## One incident
console-contact-removed = removed (retention)
console-supplies-requested = Supplies requested
console-history = History
console-when = When
console-who = Who
console-change = Change
console-comment = Comment
console-history-created = created ({ $status })
console-change-status = Change status
console-new-status = New status
console-change-button = Change
console-error-transition = The status cannot change from { $from } to { $to }.
console-error-changed-meanwhile = The incident changed meanwhile; reload and try again.

## Devices
console-devices-title = Devices
console-devices-count = { $count ->
    [one] 1 device
   *[other] { $count } devices
}
console-open-incidents = Open incidents
console-last-read = Last meter read
console-device-title = Device { $serial }
console-requested-supplies = Requested supplies
console-incident = Incident
console-requested = Requested
console-meter-history = Meter history
console-no-meter-reads = No meter reads.
console-reads-since = { $count ->
    [one] 1 read
   *[other] { $count } reads
} since { $date }
console-export-meter-reads = Export meter reads (CSV)

## Users
console-users-title = Users
console-role = Role
console-role-technician = technician
console-role-partner_admin = partner admin
console-add-user = Add a user
console-password-rule = Password (at least 12 characters)
console-user-added = Added { $email } ({ $role }).
console-error-role = Role: choose technician or partner admin.
console-error-password-short = Password: it must have at least 12 characters.
console-error-user-exists = A user with this e-mail address already exists.

## Fleet
console-fleet-title = Fleet
console-agent-added = Agent added. Its one-time enrolment token (shown once):
console-webhook-added = Webhook added. Its signing secret (shown once):
console-fleet-devices = Devices reported by agents
console-attention-only = Needs attention only
console-fleet-count = { $shown } of { $total ->
    [one] 1 device
   *[other] { $total } devices
}
console-last-seen = Last seen
console-supplies = Supplies
console-alerts = Alerts
console-raised = Raised by the policies
console-billing = Billing
console-download-meter-reads = Download meter reads (CSV)
console-agents = Agents
console-state = State
console-version = Version
console-host = Host
console-last-contact = Last contact
console-revoke = Revoke
console-add-agent = Add an agent
console-webhooks = Webhooks
console-attempt-at = Attempt at
console-event = Event
console-attempt = Attempt
console-result = Result
console-event-state = Event state
console-add-webhook = Add a webhook
console-url = URL
console-events-hint = Events (none checked: all)
console-all-events = all
console-agent-state-active = active
console-agent-state-revoked = revoked
console-agent-state-waiting_enrolment = waiting for enrolment
console-device-status-running = running
console-device-status-warning = warning
console-device-status-testing = testing
console-device-status-down = down
console-device-status-unknown = unknown
console-forecast-not_enough_data = not enough data
console-forecast-not_decreasing = not decreasing
console-runs-out-empty = empty in { $days } days ({ $date })
console-runs-out-full = full in { $days } days ({ $date })
console-runs-out-empty-within-a-day = empty within a day ({ $date })
console-runs-out-full-within-a-day = full within a day ({ $date })
console-raised-order = automatic order { $number }: { $detail }
console-raised-incident = automatic incident { $number }: { $detail }
console-raised-supply-low = supply low (no supplies contract): { $detail }
console-error-agent-form = Name and customer are required.

## Refusals and error pages
console-error-date = { $field }: enter a date such as 2026-01-31.
console-error-status-value = Status: choose one from the list.
console-error-kind-value = Kind: choose one from the list.
console-error-serial = Device: a serial has 1 to 64 letters, digits, dots, hyphens or underscores.
console-error-customer = Customer: unknown customer.
console-error-comment = Comment: { $reason }
console-error-csrf = The form has expired; reload the page and try again.
console-error-forbidden = Your role does not allow this.
console-error-not-found = { $what ->
    [device] This device was not found.
    [incident] This incident was not found.
   *[other] Not found.
}
console-error-internal = Something went wrong on our side. Please try again.
console-title-bad-request = Bad request
console-title-forbidden = Forbidden
console-title-not-found = Not found
console-title-error = Error
console-back-to-incidents = Back to incidents

## Device page: incidents, forecasts, alert history (fleet agents)
console-badge-automatic-order = automatic order
console-badge-automatic-order-title = Ordered by the fleet policies from the supply levels the agent read
console-badge-automatic = automatic
console-badge-automatic-title = Raised by the fleet policies from a printer alert the agent read
console-badge-walk-up = walk-up
console-badge-walk-up-title = Reported by a person (at the device's panel or through the API)
console-incidents-newest = The newest { $shown } of { $total }
console-all-in-list = all in the incident list
console-forecasts = Supply forecasts
console-no-forecast-supplies = The last reading reports no supplies.
console-days-left = Days left
console-predicted-date = Predicted date
console-runs-out-on-empty = empty on { $date }
console-runs-out-on-full = full on { $date }
console-alert-history = Alert history
console-no-alert-history = No alert, supply order or silence so far.
console-condition = Condition
console-detail = Detail
console-since-utc = Since (UTC)
console-raised-utc = Raised (UTC)
console-cleared-utc = Cleared (UTC)
console-waiting = waiting
console-open = open
console-condition-supply-low = supply low
console-condition-alert = printer alert
console-condition-silent = silent
console-condition-other = other
console-webhooks-by-email = The same events by e-mail:
console-email-notifications = E-mail notifications

## The e-mail notifications page
console-notif-intro = Fleet events (incidents, supply forecasts, automatic orders, printer alerts, silent devices and agents) are e-mailed to these addresses, each in its language. They carry what the webhooks carry, never the contact details of the person at a device.
console-notif-address = Address
console-notif-language = Language
console-notif-events = Events
console-notif-all = all
console-notif-remove = Remove
console-notif-add-address = Add an address
console-notif-last-mails = Last e-mails
console-notif-queued = Queued
console-notif-attempts = Attempts
console-notif-last-error = Last error
console-notif-too-many = at most { $max } notification addresses per partner

# Why a webhook or notification address is refused (the API's details stay English).
console-guard-not-http = the URL must be an http:// or https:// URL with a host
console-guard-points-to = the URL must not point to { $why }
console-guard-resolves = { $host } resolves to { $why }
console-guard-unspecified = an unspecified address
console-guard-loopback = a loopback address
console-guard-private-v4 = a private address (RFC 1918)
console-guard-private-v6 = a private address (fc00::/7)
console-guard-shared = a shared address (RFC 6598)
console-guard-link-local = a link-local address
console-guard-multicast = a multicast address
console-guard-broadcast = the broadcast address
console-guard-reserved = a reserved address (RFC 6890)
console-webhook-url-too-long = the URL may have at most 2000 characters
console-webhook-unknown-event = “{ $event }” is not one of { $known }
console-notif-bad-address = not a valid e-mail address
console-notif-bad-language = the language must be one of en, de, fr, it, es
console-notif-bad-events = unknown event type
## The state of a queued notification e-mail or webhook delivery.
console-outbox-state-sent = sent
console-outbox-state-delivered = delivered
console-outbox-state-failed = failed
console-outbox-state-pending = pending
