error-description-too-long = Die Beschreibung darf höchstens { $max } Zeichen lang sein.
error-text-control-characters = Das Feld „{ $field }“ enthält Zeichen, die nicht gespeichert werden können.
error-name-required = Bitte geben Sie Ihren Namen ein.
error-email-invalid = Die E-Mail-Adresse ist ungültig.
error-phone-invalid = Die Telefonnummer ist ungültig.
error-issue-required = Bitte wählen Sie ein Problem aus oder beschreiben Sie es.
error-supplies-none = Bitte wählen Sie mindestens ein Verbrauchsmaterial aus.
error-supplies-too-many = Es können höchstens { $max } Verbrauchsmaterialien auf einmal angefordert werden.
error-meters-too-many = Es können höchstens { $max } Zähler auf einmal gesendet werden.
error-check-field = Bitte prüfen Sie diese Eingabe.

## Warum eine Regel ablehnt (crates/assistant/src/rules, crates/assistant/src/error.rs)
rule-service-switched-off = Das Melden von Störungen an diesem Gerät hat Ihr Servicepartner ausgeschaltet.
rule-no-service-contract = Für dieses Gerät besteht heute kein Servicevertrag, daher können hier keine Störungen gemeldet werden. Bitte rufen Sie Ihren Servicepartner an.
rule-supplies-switched-off = Das Anfordern von Verbrauchsmaterial an diesem Gerät hat Ihr Servicepartner ausgeschaltet.
rule-no-supplies-contract = Für dieses Gerät besteht kein Materialvertrag, daher kann hier kein Material angefordert werden. Bitte bestellen Sie es bei Ihrem Servicepartner.
rule-meters-switched-off = Das Senden von Zählerständen an diesem Gerät hat Ihr Servicepartner ausgeschaltet.
rule-unknown-device = Dieses Gerät ist bei Ihrem Servicepartner nicht registriert, daher können Anfragen von ihm noch nicht bearbeitet werden. Bitten Sie Ihren Servicepartner, das Gerät { $serial } in seine Flotte aufzunehmen.
rule-refused = Ihr Servicepartner hat die Anfrage nicht angenommen: { $reason }
rule-unavailable = Ein Dienst, von dem diese Anfrage abhängt, hat nicht geantwortet.
rule-internal = Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.
