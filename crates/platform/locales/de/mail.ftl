# Die Bestätigungs-E-Mail (crates/assistant/src/mail).
mail-subject-service = Ihre Serviceanfrage für { $device }
mail-subject-supply = Ihre Verbrauchsmaterialanfrage für { $device }
mail-subject-meters = Ihre Zählerstände für { $device }
mail-heading-service = Ihre Serviceanfrage
mail-heading-supply = Ihre Verbrauchsmaterialanfrage
mail-heading-meters = Ihre Zählerstände
mail-intro = Vielen Dank. Wir haben Ihre Anfrage erhalten und kümmern uns darum.
mail-intro-pending = Vielen Dank. Wir haben Ihre Anfrage erhalten. Die Vorgangsnummer folgt in einer weiteren E-Mail.
mail-intro-meters = Vielen Dank. Wir haben die Zählerstände dieses Geräts erhalten.
mail-number = Vorgangsnummer
mail-number-meters = Bestätigungsnummer
mail-reference = Referenz
mail-created = Erstellt am
mail-device = Gerät
mail-serial = Seriennummer
mail-model = Modell
mail-location = Standort
mail-request = Anfrage
mail-issue = Problem
mail-description = Beschreibung
mail-supplies = Verbrauchsmaterial
mail-part-number = Artikelnummer
mail-colorant = Farbe
mail-level = Füllstand
mail-meters = Zähler
mail-meter-value = Stand
mail-contact = Kontakt
mail-name = Name
mail-email = E-Mail
mail-phone = Telefon
mail-not-given = nicht angegeben
mail-sent-by = Diese E-Mail wurde automatisch von { $sender } gesendet.
mail-quote = Bitte geben Sie bei Rückfragen die Vorgangsnummer an.
mail-quote-meters = Bitte geben Sie bei Rückfragen die Bestätigungsnummer an.

## The vendor's settings: the help-desk override (the partner's own ticket number).
mail-ticket-number = Ticketnummer
