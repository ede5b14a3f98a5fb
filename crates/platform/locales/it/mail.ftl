# L’e-mail di conferma (crates/assistant/src/mail).
mail-subject-service = la sua richiesta di assistenza per { $device }
mail-subject-supply = la sua richiesta di materiali di consumo per { $device }
mail-subject-meters = le sue letture dei contatori per { $device }
mail-heading-service = La sua richiesta di assistenza
mail-heading-supply = La sua richiesta di materiali di consumo
mail-heading-meters = Le sue letture dei contatori
mail-intro = Grazie. Abbiamo ricevuto la sua richiesta e ce ne occuperemo.
mail-intro-pending = Grazie. Abbiamo ricevuto la sua richiesta. Il numero di intervento seguirà in un’altra e-mail.
mail-intro-meters = Grazie. Abbiamo ricevuto le letture dei contatori di questo dispositivo.
mail-number = Numero di intervento
mail-number-meters = Numero di conferma
mail-reference = Riferimento
mail-created = Creata il
mail-device = Dispositivo
mail-serial = Numero di serie
mail-model = Modello
mail-location = Ubicazione
mail-request = Richiesta
mail-issue = Problema
mail-description = Descrizione
mail-supplies = Materiali di consumo
mail-part-number = Codice articolo
mail-colorant = Colore
mail-level = Livello
mail-meters = Contatori
mail-meter-value = Valore
mail-contact = Contatto
mail-name = Nome
mail-email = E-mail
mail-phone = Telefono
mail-not-given = non indicato
mail-sent-by = Questa e-mail è stata inviata automaticamente da { $sender }.
mail-quote = Indichi il numero di intervento in ogni risposta.
mail-quote-meters = Indichi il numero di conferma in ogni risposta.

## The vendor's settings: the help-desk override (the partner's own ticket number).
mail-ticket-number = Numero di ticket
