# L’e-mail de confirmation (crates/assistant/src/mail).
mail-subject-service = votre demande d’intervention pour { $device }
mail-subject-supply = votre demande de consommables pour { $device }
mail-subject-meters = vos relevés de compteurs pour { $device }
mail-heading-service = Votre demande d’intervention
mail-heading-supply = Votre demande de consommables
mail-heading-meters = Vos relevés de compteurs
mail-intro = Merci. Nous avons bien reçu votre demande et allons la traiter.
mail-intro-pending = Merci. Nous avons bien reçu votre demande. Le numéro d’incident suivra dans un autre e-mail.
mail-intro-meters = Merci. Nous avons bien reçu les relevés de compteurs de cet appareil.
mail-number = Numéro d’incident
mail-number-meters = Numéro de confirmation
mail-reference = Référence
mail-created = Créé le
mail-device = Appareil
mail-serial = Numéro de série
mail-model = Modèle
mail-location = Emplacement
mail-request = Demande
mail-issue = Problème
mail-description = Description
mail-supplies = Consommables
mail-part-number = Référence article
mail-colorant = Couleur
mail-level = Niveau
mail-meters = Compteurs
mail-meter-value = Valeur
mail-contact = Contact
mail-name = Nom
mail-email = E-mail
mail-phone = Téléphone
mail-not-given = non indiqué
mail-sent-by = Cet e-mail a été envoyé automatiquement par { $sender }.
mail-quote = Merci d’indiquer le numéro d’incident dans toute réponse.
mail-quote-meters = Merci d’indiquer le numéro de confirmation dans toute réponse.

## The vendor's settings: the help-desk override (the partner's own ticket number).
mail-ticket-number = Numéro de ticket
