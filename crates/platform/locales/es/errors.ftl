error-description-too-long = La descripción puede tener como máximo { $max } caracteres.
error-text-control-characters = El campo «{ $field }» contiene caracteres que no se pueden guardar.
error-name-required = Introduzca su nombre.
error-email-invalid = La dirección de correo electrónico no es válida.
error-phone-invalid = El número de teléfono no es válido.
error-issue-required = Elija un problema o descríbalo.
error-supplies-none = Elija al menos un consumible.
error-supplies-too-many = Se pueden solicitar como máximo { $max } consumibles a la vez.
error-meters-too-many = Se pueden enviar como máximo { $max } contadores a la vez.
error-check-field = Revise este dato.

## Por qué una regla rechaza (crates/assistant/src/rules, crates/assistant/src/error.rs)
rule-service-switched-off = Su socio de servicio ha desactivado la notificación de averías desde este equipo.
rule-no-service-contract = Este equipo no tiene hoy contrato de servicio, así que aquí no se pueden notificar averías. Llame a su socio de servicio.
rule-supplies-switched-off = Su socio de servicio ha desactivado la solicitud de consumibles desde este equipo.
rule-no-supplies-contract = Este equipo no tiene contrato de consumibles, así que aquí no se pueden solicitar consumibles. Pídalos a su socio de servicio.
rule-meters-switched-off = Su socio de servicio ha desactivado el envío de lecturas de contadores desde este equipo.
rule-unknown-device = Este equipo no está registrado en su socio de servicio, así que aún no se pueden atender sus solicitudes. Pida a su socio de servicio que añada el equipo { $serial } a su flota.
rule-refused = Su socio de servicio no ha aceptado la solicitud: { $reason }
rule-unavailable = Un servicio del que depende esta solicitud no ha respondido.
rule-internal = Algo ha fallado por nuestra parte. Vuelva a intentarlo.
