error-description-too-long = La description peut contenir au plus { $max } caractères.
error-text-control-characters = Le champ « { $field } » contient des caractères qui ne peuvent pas être enregistrés.
error-name-required = Veuillez saisir votre nom.
error-email-invalid = L’adresse e-mail n’est pas valide.
error-phone-invalid = Le numéro de téléphone n’est pas valide.
error-issue-required = Veuillez choisir un problème ou le décrire.
error-supplies-none = Veuillez choisir au moins un consommable.
error-supplies-too-many = Vous pouvez demander au plus { $max } consommables à la fois.
error-meters-too-many = Vous pouvez envoyer au plus { $max } compteurs à la fois.
error-check-field = Veuillez vérifier cette saisie.

## Pourquoi une règle refuse (crates/assistant/src/rules, crates/assistant/src/error.rs)
rule-service-switched-off = Votre partenaire de service a désactivé le signalement de pannes depuis cet appareil.
rule-no-service-contract = Cet appareil n’est pas sous contrat de service aujourd’hui : les pannes ne peuvent pas être signalées ici. Veuillez appeler votre partenaire de service.
rule-supplies-switched-off = Votre partenaire de service a désactivé la demande de consommables depuis cet appareil.
rule-no-supplies-contract = Cet appareil n’est pas sous contrat de consommables : les consommables ne peuvent pas être demandés ici. Veuillez les commander auprès de votre partenaire de service.
rule-meters-switched-off = Votre partenaire de service a désactivé l’envoi des relevés de compteurs depuis cet appareil.
rule-unknown-device = Cet appareil n’est pas enregistré chez votre partenaire de service : ses demandes ne peuvent pas encore être traitées. Demandez à votre partenaire de service d’ajouter l’appareil { $serial } à son parc.
rule-refused = Votre partenaire de service n’a pas accepté la demande : { $reason }
rule-unavailable = Un service dont dépend cette demande n’a pas répondu.
rule-internal = Un problème est survenu de notre côté. Veuillez réessayer.
