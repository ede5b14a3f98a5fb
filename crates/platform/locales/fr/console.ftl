# La console partenaire (crates/manager/src/console, crates/manager/src/fleet/console.rs,
# crates/manager/templates/console_*.html). La langue est celle du navigateur (Accept-Language).
console-app = Services Manager
console-title = Console partenaire
console-nav-incidents = Incidents
console-nav-devices = Appareils
console-nav-users = Utilisateurs
console-nav-fleet = Parc
console-log-out = Se déconnecter

## Connexion
console-login-title = Se connecter
console-email = E-mail
console-password = Mot de passe
console-login-busy = La console vérifie d’autres connexions. Réessayez dans un instant.
console-login-locked = Trop de tentatives échouées. Attendez quelques minutes et réessayez.
console-login-wrong = E-mail ou mot de passe incorrect.

## Mots communs
console-filter = Filtre
console-apply = Appliquer
console-any = tous
console-all = tous
console-add = Ajouter
console-delete = Supprimer
console-none = Aucun.
console-never = jamais
console-new = nouveau
console-silent = muet
console-customer = Client
console-device = Appareil
console-status = Statut
console-kind = Type
console-from = Du
console-to = Au
console-search = Recherche
console-search-placeholder = numéro de série, modèle, emplacement
console-serial = Numéro de série
console-model = Modèle
console-location = Emplacement
console-name = Nom
console-created = Créé
console-issue = Problème
console-description = Description
console-contact = Contact
console-supply = Consommable
console-part-number = Référence
console-colorant = Couleur
console-level = Niveau

## Incidents
console-incidents-title = Incidents
console-incidents-count = { $count ->
    [one] { $count } incident
   *[other] { $count } incidents
}
console-page-of = page { $page } sur { $pages }
console-download-csv = Télécharger en CSV (ces filtres)
console-number = Numéro
console-summary = Résumé
console-previous = Précédent
console-next = Suivant
console-kind-service = service
console-kind-supply = consommables

## Un incident
console-contact-removed = supprimé (durée de conservation)
console-supplies-requested = Consommables demandés
console-history = Historique
console-when = Quand
console-who = Qui
console-change = Changement
console-comment = Commentaire
console-history-created = créé ({ $status })
console-change-status = Changer le statut
console-new-status = Nouveau statut
console-change-button = Changer
console-error-transition = Le statut ne peut pas passer de { $from } à { $to }.
console-error-changed-meanwhile = L’incident a été modifié entre-temps ; rechargez la page et réessayez.

## Appareils
console-devices-title = Appareils
console-devices-count = { $count ->
    [one] { $count } appareil
   *[other] { $count } appareils
}
console-open-incidents = Incidents ouverts
console-last-read = Dernier relevé de compteurs
console-device-title = Appareil { $serial }
console-requested-supplies = Consommables demandés
console-incident = Incident
console-requested = Demandé
console-meter-history = Historique des compteurs
console-no-meter-reads = Aucun relevé de compteurs.
console-reads-since = { $count ->
    [one] { $count } relevé
   *[other] { $count } relevés
} depuis le { $date }
console-export-meter-reads = Exporter les relevés de compteurs (CSV)

## Utilisateurs
console-users-title = Utilisateurs
console-role = Rôle
console-role-technician = technicien
console-role-partner_admin = administrateur partenaire
console-add-user = Ajouter un utilisateur
console-password-rule = Mot de passe (au moins 12 caractères)
console-user-added = { $email } ({ $role }) ajouté.
console-error-role = Rôle : choisissez technicien ou administrateur partenaire.
console-error-password-short = Mot de passe : il doit comporter au moins 12 caractères.
console-error-user-exists = Un utilisateur avec cette adresse e-mail existe déjà.

## Parc
console-fleet-title = Parc
console-agent-added = Agent ajouté. Son jeton d’inscription à usage unique (affiché une seule fois) :
console-webhook-added = Webhook ajouté. Son secret de signature (affiché une seule fois) :
console-fleet-devices = Appareils signalés par les agents
console-attention-only = Seulement ceux qui demandent attention
console-fleet-count = { $shown } sur { $total ->
    [one] { $total } appareil
   *[other] { $total } appareils
}
console-last-seen = Vu pour la dernière fois
console-supplies = Consommables
console-alerts = Alertes
console-raised = Déclenché par les règles
console-billing = Facturation
console-download-meter-reads = Télécharger les relevés de compteurs (CSV)
console-agents = Agents
console-state = État
console-version = Version
console-host = Hôte
console-last-contact = Dernier contact
console-revoke = Révoquer
console-add-agent = Ajouter un agent
console-webhooks = Webhooks
console-attempt-at = Tentative le
console-event = Événement
console-attempt = Tentative
console-result = Résultat
console-event-state = État de l’événement
console-add-webhook = Ajouter un webhook
console-url = URL
console-events-hint = Événements (aucun coché : tous)
console-all-events = tous
console-agent-state-active = actif
console-agent-state-revoked = révoqué
console-agent-state-waiting_enrolment = en attente d’inscription
console-device-status-running = en marche
console-device-status-warning = avertissement
console-device-status-testing = en test
console-device-status-down = hors service
console-device-status-unknown = inconnu
console-forecast-not_enough_data = pas assez de données
console-forecast-not_decreasing = ne baisse pas
console-runs-out-empty = vide dans { $days } jours ({ $date })
console-runs-out-full = plein dans { $days } jours ({ $date })
console-runs-out-empty-within-a-day = vide en moins d’un jour ({ $date })
console-runs-out-full-within-a-day = plein en moins d’un jour ({ $date })
console-raised-order = commande automatique { $number } : { $detail }
console-raised-incident = incident automatique { $number } : { $detail }
console-raised-supply-low = consommable bas (pas de contrat consommables) : { $detail }
console-error-agent-form = Le nom et le client sont obligatoires.

## Refus et pages d’erreur
console-error-date = { $field } : saisissez une date comme 2026-01-31.
console-error-status-value = Statut : choisissez-en un dans la liste.
console-error-kind-value = Type : choisissez-en un dans la liste.
console-error-serial = Appareil : un numéro de série compte de 1 à 64 lettres, chiffres, points, tirets ou traits bas.
console-error-customer = Client : client inconnu.
console-error-comment = Commentaire : { $reason }
console-error-csrf = Le formulaire a expiré ; rechargez la page et réessayez.
console-error-forbidden = Votre rôle ne le permet pas.
console-error-not-found = { $what ->
    [device] Cet appareil est introuvable.
    [incident] Cet incident est introuvable.
   *[other] Introuvable.
}
console-error-internal = Un problème est survenu de notre côté. Veuillez réessayer.
console-title-bad-request = Requête incorrecte
console-title-forbidden = Interdit
console-title-not-found = Introuvable
console-title-error = Erreur
console-back-to-incidents = Retour aux incidents

## Page d’un appareil : incidents, prévisions, historique des alertes (agents du parc)
console-badge-automatic-order = commande automatique
console-badge-automatic-order-title = Commandé par les règles du parc d’après les niveaux de consommables lus par l’agent
console-badge-automatic = automatique
console-badge-automatic-title = Déclenché par les règles du parc d’après une alerte d’imprimante lue par l’agent
console-badge-walk-up = sur place
console-badge-walk-up-title = Signalé par une personne (sur le panneau de l’appareil ou par l’API)
console-incidents-newest = Les { $shown } plus récents sur { $total }
console-all-in-list = tous dans la liste des incidents
console-forecasts = Prévisions des consommables
console-no-forecast-supplies = Le dernier relevé ne signale aucun consommable.
console-days-left = Jours restants
console-predicted-date = Date prévue
console-runs-out-on-empty = vide le { $date }
console-runs-out-on-full = plein le { $date }
console-alert-history = Historique des alertes
console-no-alert-history = Aucune alerte, commande de consommables ni silence jusqu’ici.
console-condition = Condition
console-detail = Détail
console-since-utc = Depuis (UTC)
console-raised-utc = Déclenché (UTC)
console-cleared-utc = Levé (UTC)
console-waiting = en attente
console-open = ouvert
console-condition-supply-low = consommable bas
console-condition-alert = alerte d’imprimante
console-condition-silent = muet
console-condition-other = autre
console-webhooks-by-email = Les mêmes événements par e-mail :
console-email-notifications = Notifications par e-mail

## The e-mail notifications page
console-notif-intro = Les événements du parc (incidents, prévisions de consommables, commandes automatiques, alertes d'imprimante, appareils et agents silencieux) sont envoyés par e-mail à ces adresses, chacune dans sa langue. Ils contiennent ce que contiennent les webhooks, jamais les coordonnées de la personne à l'appareil.
console-notif-address = Adresse
console-notif-language = Langue
console-notif-events = Événements
console-notif-all = tous
console-notif-remove = Supprimer
console-notif-add-address = Ajouter une adresse
console-notif-last-mails = Derniers e-mails
console-notif-queued = En file
console-notif-attempts = Tentatives
console-notif-last-error = Dernière erreur
console-notif-too-many = au plus { $max } adresses de notification par partenaire

# Why a webhook or notification address is refused (the API's details stay English).
console-guard-not-http = l’URL doit être une URL http:// ou https:// avec un hôte
console-guard-points-to = l’URL ne doit pas pointer vers { $why }
console-guard-resolves = { $host } se résout en { $why }
console-guard-unspecified = une adresse non spécifiée
console-guard-loopback = une adresse de bouclage
console-guard-private-v4 = une adresse privée (RFC 1918)
console-guard-private-v6 = une adresse privée (fc00::/7)
console-guard-shared = une adresse partagée (RFC 6598)
console-guard-link-local = une adresse lien-local
console-guard-multicast = une adresse multicast
console-guard-broadcast = l’adresse de diffusion
console-guard-reserved = une adresse réservée (RFC 6890)
console-webhook-url-too-long = l’URL ne peut pas dépasser 2000 caractères
console-webhook-unknown-event = « { $event } » ne fait pas partie de { $known }
console-notif-bad-address = adresse e-mail non valide
console-notif-bad-language = la langue doit être en, de, fr, it ou es
console-notif-bad-events = type d’événement inconnu
## The state of a queued notification e-mail or webhook delivery.
console-outbox-state-sent = envoyé
console-outbox-state-delivered = livré
console-outbox-state-failed = échec
console-outbox-state-pending = en attente
