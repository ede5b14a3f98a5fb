# La console partner (crates/manager/src/console, crates/manager/src/fleet/console.rs,
# crates/manager/templates/console_*.html). La lingua è quella del browser (Accept-Language).
console-app = Services Manager
console-title = Console partner
console-nav-incidents = Interventi
console-nav-devices = Dispositivi
console-nav-users = Utenti
console-nav-fleet = Parco
console-log-out = Esci

## Accesso
console-login-title = Accedi
console-email = E-mail
console-password = Password
console-login-busy = La console sta verificando altri accessi. Riprovi tra un momento.
console-login-locked = Troppi tentativi non riusciti. Attenda qualche minuto e riprovi.
console-login-wrong = E-mail o password errata.

## Parole comuni
console-filter = Filtro
console-apply = Applica
console-any = tutti
console-all = tutti
console-add = Aggiungi
console-delete = Elimina
console-none = Nessuno.
console-never = mai
console-new = nuovo
console-silent = silenzioso
console-customer = Cliente
console-device = Dispositivo
console-status = Stato
console-kind = Tipo
console-from = Dal
console-to = Al
console-search = Cerca
console-search-placeholder = numero di serie, modello, posizione
console-serial = Numero di serie
console-model = Modello
console-location = Posizione
console-name = Nome
console-created = Creato
console-issue = Problema
console-description = Descrizione
console-contact = Contatto
console-supply = Materiale
console-part-number = Codice articolo
console-colorant = Colore
console-level = Livello

## Interventi
console-incidents-title = Interventi
console-incidents-count = { $count ->
    [one] 1 intervento
   *[other] { $count } interventi
}
console-page-of = pagina { $page } di { $pages }
console-download-csv = Scarica CSV (questi filtri)
console-number = Numero
console-summary = Riepilogo
console-previous = Precedente
console-next = Successiva
console-kind-service = assistenza
console-kind-supply = materiali

## Un intervento
console-contact-removed = rimosso (periodo di conservazione)
console-supplies-requested = Materiali richiesti
console-history = Cronologia
console-when = Quando
console-who = Chi
console-change = Modifica
console-comment = Commento
console-history-created = creato ({ $status })
console-change-status = Cambia stato
console-new-status = Nuovo stato
console-change-button = Cambia
console-error-transition = Lo stato non può passare da { $from } a { $to }.
console-error-changed-meanwhile = L’intervento è stato modificato nel frattempo; ricarichi la pagina e riprovi.

## Dispositivi
console-devices-title = Dispositivi
console-devices-count = { $count ->
    [one] 1 dispositivo
   *[other] { $count } dispositivi
}
console-open-incidents = Interventi aperti
console-last-read = Ultima lettura contatori
console-device-title = Dispositivo { $serial }
console-requested-supplies = Materiali richiesti
console-incident = Intervento
console-requested = Richiesto
console-meter-history = Cronologia contatori
console-no-meter-reads = Nessuna lettura dei contatori.
console-reads-since = { $count ->
    [one] 1 lettura
   *[other] { $count } letture
} dal { $date }
console-export-meter-reads = Esporta letture contatori (CSV)

## Utenti
console-users-title = Utenti
console-role = Ruolo
console-role-technician = tecnico
console-role-partner_admin = amministratore partner
console-add-user = Aggiungi un utente
console-password-rule = Password (almeno 12 caratteri)
console-user-added = Aggiunto { $email } ({ $role }).
console-error-role = Ruolo: scelga tecnico o amministratore partner.
console-error-password-short = Password: deve avere almeno 12 caratteri.
console-error-user-exists = Esiste già un utente con questo indirizzo e-mail.

## Parco
console-fleet-title = Parco
console-agent-added = Agente aggiunto. Il suo token di registrazione monouso (mostrato una sola volta):
console-webhook-added = Webhook aggiunto. Il suo segreto di firma (mostrato una sola volta):
console-fleet-devices = Dispositivi segnalati dagli agenti
console-attention-only = Solo quelli che richiedono attenzione
console-fleet-count = { $shown } di { $total ->
    [one] 1 dispositivo
   *[other] { $total } dispositivi
}
console-last-seen = Ultimo contatto
console-supplies = Materiali
console-alerts = Avvisi
console-raised = Generato dalle regole
console-billing = Fatturazione
console-download-meter-reads = Scarica letture contatori (CSV)
console-agents = Agenti
console-state = Stato
console-version = Versione
console-host = Host
console-last-contact = Ultimo contatto
console-revoke = Revoca
console-add-agent = Aggiungi un agente
console-webhooks = Webhook
console-attempt-at = Tentativo del
console-event = Evento
console-attempt = Tentativo
console-result = Esito
console-event-state = Stato dell’evento
console-add-webhook = Aggiungi un webhook
console-url = URL
console-events-hint = Eventi (nessuno selezionato: tutti)
console-all-events = tutti
console-agent-state-active = attivo
console-agent-state-revoked = revocato
console-agent-state-waiting_enrolment = in attesa di registrazione
console-device-status-running = in funzione
console-device-status-warning = avviso
console-device-status-testing = in prova
console-device-status-down = fuori servizio
console-device-status-unknown = sconosciuto
console-forecast-not_enough_data = dati insufficienti
console-forecast-not_decreasing = non in calo
console-runs-out-empty = vuoto tra { $days } giorni ({ $date })
console-runs-out-full = pieno tra { $days } giorni ({ $date })
console-runs-out-empty-within-a-day = vuoto in meno di un giorno ({ $date })
console-runs-out-full-within-a-day = pieno in meno di un giorno ({ $date })
console-raised-order = ordine automatico { $number }: { $detail }
console-raised-incident = intervento automatico { $number }: { $detail }
console-raised-supply-low = materiale in esaurimento (nessun contratto materiali): { $detail }
console-error-agent-form = Nome e cliente sono obbligatori.

## Rifiuti e pagine di errore
console-error-date = { $field }: inserisca una data come 2026-01-31.
console-error-status-value = Stato: ne scelga uno dall’elenco.
console-error-kind-value = Tipo: ne scelga uno dall’elenco.
console-error-serial = Dispositivo: un numero di serie ha da 1 a 64 lettere, cifre, punti, trattini o trattini bassi.
console-error-customer = Cliente: cliente sconosciuto.
console-error-comment = Commento: { $reason }
console-error-csrf = Il modulo è scaduto; ricarichi la pagina e riprovi.
console-error-forbidden = Il suo ruolo non lo consente.
console-error-not-found = { $what ->
    [device] Questo dispositivo non è stato trovato.
    [incident] Questo intervento non è stato trovato.
   *[other] Non trovato.
}
console-error-internal = Si è verificato un problema da parte nostra. Riprovi.
console-title-bad-request = Richiesta non valida
console-title-forbidden = Non consentito
console-title-not-found = Non trovato
console-title-error = Errore
console-back-to-incidents = Torna agli interventi

## Pagina del dispositivo: interventi, previsioni, cronologia avvisi (agenti del parco)
console-badge-automatic-order = ordine automatico
console-badge-automatic-order-title = Ordinato dalle regole del parco in base ai livelli dei materiali letti dall’agente
console-badge-automatic = automatico
console-badge-automatic-title = Generato dalle regole del parco da un avviso della stampante letto dall’agente
console-badge-walk-up = di persona
console-badge-walk-up-title = Segnalato da una persona (dal pannello del dispositivo o tramite l’API)
console-incidents-newest = I { $shown } più recenti di { $total }
console-all-in-list = tutti nell’elenco degli interventi
console-forecasts = Previsioni dei materiali
console-no-forecast-supplies = L’ultima lettura non riporta materiali.
console-days-left = Giorni rimanenti
console-predicted-date = Data prevista
console-runs-out-on-empty = vuoto il { $date }
console-runs-out-on-full = pieno il { $date }
console-alert-history = Cronologia avvisi
console-no-alert-history = Finora nessun avviso, ordine di materiali o silenzio.
console-condition = Condizione
console-detail = Dettaglio
console-since-utc = Dal (UTC)
console-raised-utc = Generato (UTC)
console-cleared-utc = Risolto (UTC)
console-waiting = in attesa
console-open = aperto
console-condition-supply-low = materiale in esaurimento
console-condition-alert = avviso della stampante
console-condition-silent = silenzioso
console-condition-other = altro
console-webhooks-by-email = Gli stessi eventi via e-mail:
console-email-notifications = Notifiche via e-mail

## The e-mail notifications page
console-notif-intro = Gli eventi del parco (guasti, previsioni dei materiali di consumo, ordini automatici, avvisi della stampante, dispositivi e agenti silenziosi) vengono inviati via e-mail a questi indirizzi, ciascuno nella sua lingua. Contengono ciò che contengono i webhook, mai i dati di contatto della persona al dispositivo.
console-notif-address = Indirizzo
console-notif-language = Lingua
console-notif-events = Eventi
console-notif-all = tutti
console-notif-remove = Rimuovi
console-notif-add-address = Aggiungi un indirizzo
console-notif-last-mails = Ultime e-mail
console-notif-queued = In coda
console-notif-attempts = Tentativi
console-notif-last-error = Ultimo errore
console-notif-too-many = al massimo { $max } indirizzi di notifica per partner

# Why a webhook or notification address is refused (the API's details stay English).
console-guard-not-http = l’URL deve essere un URL http:// o https:// con un host
console-guard-points-to = l’URL non deve puntare a { $why }
console-guard-resolves = { $host } si risolve in { $why }
console-guard-unspecified = un indirizzo non specificato
console-guard-loopback = un indirizzo di loopback
console-guard-private-v4 = un indirizzo privato (RFC 1918)
console-guard-private-v6 = un indirizzo privato (fc00::/7)
console-guard-shared = un indirizzo condiviso (RFC 6598)
console-guard-link-local = un indirizzo link-local
console-guard-multicast = un indirizzo multicast
console-guard-broadcast = l’indirizzo di broadcast
console-guard-reserved = un indirizzo riservato (RFC 6890)
console-webhook-url-too-long = l’URL può avere al massimo 2000 caratteri
console-webhook-unknown-event = «{ $event }» non è tra { $known }
console-notif-bad-address = indirizzo e-mail non valido
console-notif-bad-language = la lingua deve essere en, de, fr, it o es
console-notif-bad-events = tipo di evento sconosciuto
## The state of a queued notification e-mail or webhook delivery.
console-outbox-state-sent = inviato
console-outbox-state-delivered = consegnato
console-outbox-state-failed = non riuscito
console-outbox-state-pending = in attesa
