# Die Partnerkonsole (crates/manager/src/console, crates/manager/src/fleet/console.rs,
# crates/manager/templates/console_*.html). Die Sprache ist die des Browsers (Accept-Language).
console-app = Services Manager
console-title = Partnerkonsole
console-nav-incidents = Vorgänge
console-nav-devices = Geräte
console-nav-users = Benutzer
console-nav-fleet = Flotte
console-log-out = Abmelden

## Anmeldung
console-login-title = Anmelden
console-email = E-Mail
console-password = Passwort
console-login-busy = Die Konsole prüft gerade andere Anmeldungen. Bitte versuchen Sie es gleich noch einmal.
console-login-locked = Zu viele fehlgeschlagene Versuche. Warten Sie einige Minuten und versuchen Sie es erneut.
console-login-wrong = E-Mail oder Passwort ist falsch.

## Gemeinsame Wörter
console-filter = Filter
console-apply = Anwenden
console-any = alle
console-all = alle
console-add = Hinzufügen
console-delete = Löschen
console-none = Keine.
console-never = nie
console-new = neu
console-silent = stumm
console-customer = Kunde
console-device = Gerät
console-status = Status
console-kind = Art
console-from = Von
console-to = Bis
console-search = Suche
console-search-placeholder = Seriennummer, Modell, Standort
console-serial = Seriennummer
console-model = Modell
console-location = Standort
console-name = Name
console-created = Erstellt
console-issue = Problem
console-description = Beschreibung
console-contact = Kontakt
console-supply = Material
console-part-number = Artikelnummer
console-colorant = Farbe
console-level = Füllstand

## Vorgänge
console-incidents-title = Vorgänge
console-incidents-count = { $count ->
    [one] 1 Vorgang
   *[other] { $count } Vorgänge
}
console-page-of = Seite { $page } von { $pages }
console-download-csv = CSV herunterladen (diese Filter)
console-number = Nummer
console-summary = Zusammenfassung
console-previous = Zurück
console-next = Weiter
console-kind-service = Service
console-kind-supply = Material

## Ein Vorgang
console-contact-removed = entfernt (Aufbewahrungsfrist)
console-supplies-requested = Angeforderte Materialien
console-history = Verlauf
console-when = Wann
console-who = Wer
console-change = Änderung
console-comment = Kommentar
console-history-created = erstellt ({ $status })
console-change-status = Status ändern
console-new-status = Neuer Status
console-change-button = Ändern
console-error-transition = Der Status kann nicht von { $from } zu { $to } wechseln.
console-error-changed-meanwhile = Der Vorgang wurde inzwischen geändert; laden Sie die Seite neu und versuchen Sie es erneut.

## Geräte
console-devices-title = Geräte
console-devices-count = { $count ->
    [one] 1 Gerät
   *[other] { $count } Geräte
}
console-open-incidents = Offene Vorgänge
console-last-read = Letzter Zählerstand
console-device-title = Gerät { $serial }
console-requested-supplies = Angeforderte Materialien
console-incident = Vorgang
console-requested = Angefordert
console-meter-history = Zählerverlauf
console-no-meter-reads = Keine Zählerstände.
console-reads-since = { $count ->
    [one] 1 Zählerstand
   *[other] { $count } Zählerstände
} seit { $date }
console-export-meter-reads = Zählerstände exportieren (CSV)

## Benutzer
console-users-title = Benutzer
console-role = Rolle
console-role-technician = Techniker
console-role-partner_admin = Partner-Administrator
console-add-user = Benutzer hinzufügen
console-password-rule = Passwort (mindestens 12 Zeichen)
console-user-added = { $email } ({ $role }) hinzugefügt.
console-error-role = Rolle: Wählen Sie Techniker oder Partner-Administrator.
console-error-password-short = Passwort: Es muss mindestens 12 Zeichen haben.
console-error-user-exists = Es gibt bereits einen Benutzer mit dieser E-Mail-Adresse.

## Flotte
console-fleet-title = Flotte
console-agent-added = Agent hinzugefügt. Sein einmaliges Registrierungstoken (wird nur einmal angezeigt):
console-webhook-added = Webhook hinzugefügt. Sein Signaturgeheimnis (wird nur einmal angezeigt):
console-fleet-devices = Von Agenten gemeldete Geräte
console-attention-only = Nur Geräte, die Aufmerksamkeit brauchen
console-fleet-count = { $shown } von { $total ->
    [one] 1 Gerät
   *[other] { $total } Geräten
}
console-last-seen = Zuletzt gesehen
console-supplies = Materialien
console-alerts = Warnungen
console-raised = Von den Richtlinien ausgelöst
console-billing = Abrechnung
console-download-meter-reads = Zählerstände herunterladen (CSV)
console-agents = Agenten
console-state = Zustand
console-version = Version
console-host = Host
console-last-contact = Letzter Kontakt
console-revoke = Widerrufen
console-add-agent = Agent hinzufügen
console-webhooks = Webhooks
console-attempt-at = Versuch am
console-event = Ereignis
console-attempt = Versuch
console-result = Ergebnis
console-event-state = Ereigniszustand
console-add-webhook = Webhook hinzufügen
console-url = URL
console-events-hint = Ereignisse (keines gewählt: alle)
console-all-events = alle
console-agent-state-active = aktiv
console-agent-state-revoked = widerrufen
console-agent-state-waiting_enrolment = wartet auf Registrierung
console-device-status-running = in Betrieb
console-device-status-warning = Warnung
console-device-status-testing = im Test
console-device-status-down = außer Betrieb
console-device-status-unknown = unbekannt
console-forecast-not_enough_data = zu wenige Daten
console-forecast-not_decreasing = sinkt nicht
console-runs-out-empty = leer in { $days } Tagen ({ $date })
console-runs-out-full = voll in { $days } Tagen ({ $date })
console-runs-out-empty-within-a-day = leer in weniger als einem Tag ({ $date })
console-runs-out-full-within-a-day = voll in weniger als einem Tag ({ $date })
console-raised-order = automatische Bestellung { $number }: { $detail }
console-raised-incident = automatischer Vorgang { $number }: { $detail }
console-raised-supply-low = Material knapp (kein Materialvertrag): { $detail }
console-error-agent-form = Name und Kunde sind erforderlich.

## Ablehnungen und Fehlerseiten
console-error-date = { $field }: Geben Sie ein Datum wie 2026-01-31 ein.
console-error-status-value = Status: Wählen Sie einen aus der Liste.
console-error-kind-value = Art: Wählen Sie eine aus der Liste.
console-error-serial = Gerät: Eine Seriennummer hat 1 bis 64 Buchstaben, Ziffern, Punkte, Binde- oder Unterstriche.
console-error-customer = Kunde: unbekannter Kunde.
console-error-comment = Kommentar: { $reason }
console-error-csrf = Das Formular ist abgelaufen; laden Sie die Seite neu und versuchen Sie es erneut.
console-error-forbidden = Ihre Rolle erlaubt das nicht.
console-error-not-found = { $what ->
    [device] Dieses Gerät wurde nicht gefunden.
    [incident] Dieser Vorgang wurde nicht gefunden.
   *[other] Nicht gefunden.
}
console-error-internal = Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.
console-title-bad-request = Ungültige Anfrage
console-title-forbidden = Nicht erlaubt
console-title-not-found = Nicht gefunden
console-title-error = Fehler
console-back-to-incidents = Zurück zu den Vorgängen

## Geräteseite: Vorgänge, Prognosen, Warnungsverlauf (Flottenagenten)
console-badge-automatic-order = automatische Bestellung
console-badge-automatic-order-title = Von den Flottenrichtlinien anhand der vom Agenten gelesenen Füllstände bestellt
console-badge-automatic = automatisch
console-badge-automatic-title = Von den Flottenrichtlinien aufgrund einer vom Agenten gelesenen Druckerwarnung ausgelöst
console-badge-walk-up = vor Ort
console-badge-walk-up-title = Von einer Person gemeldet (am Bedienfeld des Geräts oder über die API)
console-incidents-newest = Die neuesten { $shown } von { $total }
console-all-in-list = alle in der Vorgangsliste
console-forecasts = Materialprognosen
console-no-forecast-supplies = Der letzte Messwert meldet keine Materialien.
console-days-left = Verbleibende Tage
console-predicted-date = Voraussichtliches Datum
console-runs-out-on-empty = leer am { $date }
console-runs-out-on-full = voll am { $date }
console-alert-history = Warnungsverlauf
console-no-alert-history = Bisher keine Warnung, Materialbestellung oder Funkstille.
console-condition = Zustand
console-detail = Einzelheiten
console-since-utc = Seit (UTC)
console-raised-utc = Ausgelöst (UTC)
console-cleared-utc = Behoben (UTC)
console-waiting = wartet
console-open = offen
console-condition-supply-low = Material knapp
console-condition-alert = Druckerwarnung
console-condition-silent = stumm
console-condition-other = anderes
console-webhooks-by-email = Dieselben Ereignisse per E-Mail:
console-email-notifications = E-Mail-Benachrichtigungen

## The e-mail notifications page
console-notif-intro = Flottenereignisse (Störungen, Verbrauchsmaterial-Prognosen, automatische Bestellungen, Druckerwarnungen, stille Geräte und Agenten) werden an diese Adressen gesendet, jeweils in ihrer Sprache. Sie enthalten, was die Webhooks enthalten, nie die Kontaktdaten der Person am Gerät.
console-notif-address = Adresse
console-notif-language = Sprache
console-notif-events = Ereignisse
console-notif-all = alle
console-notif-remove = Entfernen
console-notif-add-address = Adresse hinzufügen
console-notif-last-mails = Letzte E-Mails
console-notif-queued = Eingereiht
console-notif-attempts = Versuche
console-notif-last-error = Letzter Fehler
console-notif-too-many = höchstens { $max } Benachrichtigungsadressen pro Partner

# Why a webhook or notification address is refused (the API's details stay English).
console-guard-not-http = die URL muss eine http://- oder https://-URL mit Host sein
console-guard-points-to = die URL darf nicht auf { $why } zeigen
console-guard-resolves = { $host } löst auf { $why } auf
console-guard-unspecified = eine unspezifizierte Adresse
console-guard-loopback = eine Loopback-Adresse
console-guard-private-v4 = eine private Adresse (RFC 1918)
console-guard-private-v6 = eine private Adresse (fc00::/7)
console-guard-shared = eine gemeinsam genutzte Adresse (RFC 6598)
console-guard-link-local = eine Link-Local-Adresse
console-guard-multicast = eine Multicast-Adresse
console-guard-broadcast = die Broadcast-Adresse
console-guard-reserved = eine reservierte Adresse (RFC 6890)
console-webhook-url-too-long = die URL darf höchstens 2000 Zeichen lang sein
console-webhook-unknown-event = „{ $event }“ ist keiner von { $known }
console-notif-bad-address = keine gültige E-Mail-Adresse
console-notif-bad-language = die Sprache muss en, de, fr, it oder es sein
console-notif-bad-events = unbekannter Ereignistyp
## The state of a queued notification e-mail or webhook delivery.
console-outbox-state-sent = gesendet
console-outbox-state-delivered = zugestellt
console-outbox-state-failed = fehlgeschlagen
console-outbox-state-pending = ausstehend
