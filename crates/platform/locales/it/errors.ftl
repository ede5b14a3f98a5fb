error-description-too-long = La descrizione può contenere al massimo { $max } caratteri.
error-text-control-characters = Il campo «{ $field }» contiene caratteri che non possono essere salvati.
error-name-required = Inserisca il suo nome.
error-email-invalid = L’indirizzo e-mail non è valido.
error-phone-invalid = Il numero di telefono non è valido.
error-issue-required = Scelga un problema o lo descriva.
error-supplies-none = Scelga almeno un materiale di consumo.
error-supplies-too-many = Si possono richiedere al massimo { $max } materiali di consumo alla volta.
error-meters-too-many = Si possono inviare al massimo { $max } contatori alla volta.
error-check-field = Controlli questo dato.

## Perché una regola rifiuta (crates/assistant/src/rules, crates/assistant/src/error.rs)
rule-service-switched-off = La segnalazione di guasti da questo dispositivo è stata disattivata dal suo partner di assistenza.
rule-no-service-contract = Oggi questo dispositivo non è coperto da un contratto di assistenza, quindi qui non si possono segnalare guasti. Chiami il suo partner di assistenza.
rule-supplies-switched-off = La richiesta di materiali da questo dispositivo è stata disattivata dal suo partner di assistenza.
rule-no-supplies-contract = Questo dispositivo non è coperto da un contratto materiali, quindi qui non si possono richiedere materiali. Li ordini presso il suo partner di assistenza.
rule-meters-switched-off = L’invio delle letture dei contatori da questo dispositivo è stato disattivato dal suo partner di assistenza.
rule-unknown-device = Questo dispositivo non è registrato presso il suo partner di assistenza, quindi le sue richieste non possono ancora essere gestite. Chieda al suo partner di assistenza di aggiungere il dispositivo { $serial } al suo parco.
rule-refused = Il suo partner di assistenza non ha accettato la richiesta: { $reason }
rule-unavailable = Un servizio da cui dipende questa richiesta non ha risposto.
rule-internal = Si è verificato un problema da parte nostra. Riprovi.
