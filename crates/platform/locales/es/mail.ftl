# El correo de confirmación (crates/assistant/src/mail).
mail-subject-service = su solicitud de servicio para { $device }
mail-subject-supply = su solicitud de consumibles para { $device }
mail-subject-meters = sus lecturas de contadores para { $device }
mail-heading-service = Su solicitud de servicio
mail-heading-supply = Su solicitud de consumibles
mail-heading-meters = Sus lecturas de contadores
mail-intro = Gracias. Hemos recibido su solicitud y nos ocuparemos de ella.
mail-intro-pending = Gracias. Hemos recibido su solicitud. El número de incidencia le llegará en otro correo.
mail-intro-meters = Gracias. Hemos recibido las lecturas de contadores de este equipo.
mail-number = Número de incidencia
mail-number-meters = Número de confirmación
mail-reference = Referencia
mail-created = Creada el
mail-device = Equipo
mail-serial = Número de serie
mail-model = Modelo
mail-location = Ubicación
mail-request = Solicitud
mail-issue = Problema
mail-description = Descripción
mail-supplies = Consumibles
mail-part-number = Referencia
mail-colorant = Color
mail-level = Nivel
mail-meters = Contadores
mail-meter-value = Valor
mail-contact = Contacto
mail-name = Nombre
mail-email = Correo electrónico
mail-phone = Teléfono
mail-not-given = no indicado
mail-sent-by = Este correo lo ha enviado automáticamente { $sender }.
mail-quote = Indique el número de incidencia en cualquier respuesta.
mail-quote-meters = Indique el número de confirmación en cualquier respuesta.

## The vendor's settings: the help-desk override (the partner's own ticket number).
mail-ticket-number = Número de ticket
