# La consola de socios (crates/manager/src/console, crates/manager/src/fleet/console.rs,
# crates/manager/templates/console_*.html). El idioma es el del navegador (Accept-Language).
console-app = Services Manager
console-title = Consola de socios
console-nav-incidents = Incidencias
console-nav-devices = Equipos
console-nav-users = Usuarios
console-nav-fleet = Flota
console-log-out = Cerrar sesión

## Inicio de sesión
console-login-title = Iniciar sesión
console-email = Correo electrónico
console-password = Contraseña
console-login-busy = La consola está comprobando otros inicios de sesión. Vuelva a intentarlo en un momento.
console-login-locked = Demasiados intentos fallidos. Espere unos minutos y vuelva a intentarlo.
console-login-wrong = Correo electrónico o contraseña incorrectos.

## Palabras comunes
console-filter = Filtro
console-apply = Aplicar
console-any = todos
console-all = todos
console-add = Añadir
console-delete = Eliminar
console-none = Ninguno.
console-never = nunca
console-new = nuevo
console-silent = sin señal
console-customer = Cliente
console-device = Equipo
console-status = Estado
console-kind = Tipo
console-from = Desde
console-to = Hasta
console-search = Buscar
console-search-placeholder = número de serie, modelo, ubicación
console-serial = Número de serie
console-model = Modelo
console-location = Ubicación
console-name = Nombre
console-created = Creada
console-issue = Problema
console-description = Descripción
console-contact = Contacto
console-supply = Consumible
console-part-number = Referencia
console-colorant = Color
console-level = Nivel

## Incidencias
console-incidents-title = Incidencias
console-incidents-count = { $count ->
    [one] 1 incidencia
   *[other] { $count } incidencias
}
console-page-of = página { $page } de { $pages }
console-download-csv = Descargar CSV (estos filtros)
console-number = Número
console-summary = Resumen
console-previous = Anterior
console-next = Siguiente
console-kind-service = servicio
console-kind-supply = consumibles

## Una incidencia
console-contact-removed = eliminado (plazo de conservación)
console-supplies-requested = Consumibles solicitados
console-history = Historial
console-when = Cuándo
console-who = Quién
console-change = Cambio
console-comment = Comentario
console-history-created = creada ({ $status })
console-change-status = Cambiar estado
console-new-status = Nuevo estado
console-change-button = Cambiar
console-error-transition = El estado no puede pasar de { $from } a { $to }.
console-error-changed-meanwhile = La incidencia ha cambiado mientras tanto; recargue la página y vuelva a intentarlo.

## Equipos
console-devices-title = Equipos
console-devices-count = { $count ->
    [one] 1 equipo
   *[other] { $count } equipos
}
console-open-incidents = Incidencias abiertas
console-last-read = Última lectura de contadores
console-device-title = Equipo { $serial }
console-requested-supplies = Consumibles solicitados
console-incident = Incidencia
console-requested = Solicitado
console-meter-history = Historial de contadores
console-no-meter-reads = No hay lecturas de contadores.
console-reads-since = { $count ->
    [one] 1 lectura
   *[other] { $count } lecturas
} desde el { $date }
console-export-meter-reads = Exportar lecturas de contadores (CSV)

## Usuarios
console-users-title = Usuarios
console-role = Rol
console-role-technician = técnico
console-role-partner_admin = administrador del socio
console-add-user = Añadir un usuario
console-password-rule = Contraseña (al menos 12 caracteres)
console-user-added = Se ha añadido { $email } ({ $role }).
console-error-role = Rol: elija técnico o administrador del socio.
console-error-password-short = Contraseña: debe tener al menos 12 caracteres.
console-error-user-exists = Ya existe un usuario con esta dirección de correo.

## Flota
console-fleet-title = Flota
console-agent-added = Agente añadido. Su token de registro de un solo uso (se muestra una vez):
console-webhook-added = Webhook añadido. Su secreto de firma (se muestra una vez):
console-fleet-devices = Equipos notificados por los agentes
console-attention-only = Solo los que requieren atención
console-fleet-count = { $shown } de { $total ->
    [one] 1 equipo
   *[other] { $total } equipos
}
console-last-seen = Visto por última vez
console-supplies = Consumibles
console-alerts = Alertas
console-raised = Generado por las reglas
console-billing = Facturación
console-download-meter-reads = Descargar lecturas de contadores (CSV)
console-agents = Agentes
console-state = Estado
console-version = Versión
console-host = Host
console-last-contact = Último contacto
console-revoke = Revocar
console-add-agent = Añadir un agente
console-webhooks = Webhooks
console-attempt-at = Intento el
console-event = Evento
console-attempt = Intento
console-result = Resultado
console-event-state = Estado del evento
console-add-webhook = Añadir un webhook
console-url = URL
console-events-hint = Eventos (ninguno marcado: todos)
console-all-events = todos
console-agent-state-active = activo
console-agent-state-revoked = revocado
console-agent-state-waiting_enrolment = pendiente de registro
console-device-status-running = en funcionamiento
console-device-status-warning = aviso
console-device-status-testing = en prueba
console-device-status-down = fuera de servicio
console-device-status-unknown = desconocido
console-forecast-not_enough_data = datos insuficientes
console-forecast-not_decreasing = no disminuye
console-runs-out-empty = vacío en { $days } días ({ $date })
console-runs-out-full = lleno en { $days } días ({ $date })
console-runs-out-empty-within-a-day = vacío en menos de un día ({ $date })
console-runs-out-full-within-a-day = lleno en menos de un día ({ $date })
console-raised-order = pedido automático { $number }: { $detail }
console-raised-incident = incidencia automática { $number }: { $detail }
console-raised-supply-low = consumible bajo (sin contrato de consumibles): { $detail }
console-error-agent-form = El nombre y el cliente son obligatorios.

## Rechazos y páginas de error
console-error-date = { $field }: introduzca una fecha como 2026-01-31.
console-error-status-value = Estado: elija uno de la lista.
console-error-kind-value = Tipo: elija uno de la lista.
console-error-serial = Equipo: un número de serie tiene de 1 a 64 letras, cifras, puntos, guiones o guiones bajos.
console-error-customer = Cliente: cliente desconocido.
console-error-comment = Comentario: { $reason }
console-error-csrf = El formulario ha caducado; recargue la página y vuelva a intentarlo.
console-error-forbidden = Su rol no lo permite.
console-error-not-found = { $what ->
    [device] No se ha encontrado este equipo.
    [incident] No se ha encontrado esta incidencia.
   *[other] No encontrado.
}
console-error-internal = Algo ha fallado por nuestra parte. Vuelva a intentarlo.
console-title-bad-request = Solicitud incorrecta
console-title-forbidden = No permitido
console-title-not-found = No encontrado
console-title-error = Error
console-back-to-incidents = Volver a las incidencias

## Página del equipo: incidencias, previsiones, historial de alertas (agentes de la flota)
console-badge-automatic-order = pedido automático
console-badge-automatic-order-title = Pedido por las reglas de la flota según los niveles de consumibles que leyó el agente
console-badge-automatic = automática
console-badge-automatic-title = Generada por las reglas de la flota a partir de una alerta de impresora que leyó el agente
console-badge-walk-up = presencial
console-badge-walk-up-title = Notificada por una persona (en el panel del equipo o mediante la API)
console-incidents-newest = Las { $shown } más recientes de { $total }
console-all-in-list = todas en la lista de incidencias
console-forecasts = Previsiones de consumibles
console-no-forecast-supplies = La última lectura no indica consumibles.
console-days-left = Días restantes
console-predicted-date = Fecha prevista
console-runs-out-on-empty = vacío el { $date }
console-runs-out-on-full = lleno el { $date }
console-alert-history = Historial de alertas
console-no-alert-history = Hasta ahora ninguna alerta, pedido de consumibles ni silencio.
console-condition = Condición
console-detail = Detalle
console-since-utc = Desde (UTC)
console-raised-utc = Generada (UTC)
console-cleared-utc = Resuelta (UTC)
console-waiting = en espera
console-open = abierta
console-condition-supply-low = consumible bajo
console-condition-alert = alerta de impresora
console-condition-silent = sin señal
console-condition-other = otra
console-webhooks-by-email = Los mismos eventos por correo electrónico:
console-email-notifications = Notificaciones por correo electrónico

## The e-mail notifications page
console-notif-intro = Los eventos de la flota (incidencias, previsiones de consumibles, pedidos automáticos, alertas de impresora, dispositivos y agentes silenciosos) se envían por correo electrónico a estas direcciones, cada una en su idioma. Contienen lo que contienen los webhooks, nunca los datos de contacto de la persona en el dispositivo.
console-notif-address = Dirección
console-notif-language = Idioma
console-notif-events = Eventos
console-notif-all = todos
console-notif-remove = Quitar
console-notif-add-address = Añadir una dirección
console-notif-last-mails = Últimos correos
console-notif-queued = En cola
console-notif-attempts = Intentos
console-notif-last-error = Último error
console-notif-too-many = como máximo { $max } direcciones de notificación por socio

# Why a webhook or notification address is refused (the API's details stay English).
console-guard-not-http = la URL debe ser una URL http:// o https:// con un host
console-guard-points-to = la URL no debe apuntar a { $why }
console-guard-resolves = { $host } se resuelve en { $why }
console-guard-unspecified = una dirección no especificada
console-guard-loopback = una dirección de bucle invertido (loopback)
console-guard-private-v4 = una dirección privada (RFC 1918)
console-guard-private-v6 = una dirección privada (fc00::/7)
console-guard-shared = una dirección compartida (RFC 6598)
console-guard-link-local = una dirección de enlace local
console-guard-multicast = una dirección multicast
console-guard-broadcast = la dirección de difusión
console-guard-reserved = una dirección reservada (RFC 6890)
console-webhook-url-too-long = la URL puede tener como máximo 2000 caracteres
console-webhook-unknown-event = «{ $event }» no es uno de { $known }
console-notif-bad-address = dirección de correo electrónico no válida
console-notif-bad-language = el idioma debe ser en, de, fr, it o es
console-notif-bad-events = tipo de evento desconocido
## The state of a queued notification e-mail or webhook delivery.
console-outbox-state-sent = enviado
console-outbox-state-delivered = entregado
console-outbox-state-failed = fallido
console-outbox-state-pending = pendiente
