# What a person at the panel or in the console reads when an entry is refused.
error-description-too-long = The description may have at most { $max } characters.
error-text-control-characters = The { $field } contains characters that cannot be stored.
error-name-required = Please enter your name.
error-email-invalid = The e-mail address is not valid.
error-phone-invalid = The phone number is not valid.
error-issue-required = Please pick an issue or describe the problem.
error-supplies-none = Please pick at least one supply.
error-supplies-too-many = At most { $max } supplies can be requested at once.
error-meters-too-many = At most { $max } meters can be sent at once.
error-check-field = Please check this entry.

## Why a rule refuses (crates/assistant/src/rules, crates/assistant/src/error.rs)
rule-service-switched-off = Reporting faults from this device is switched off by your service partner.
rule-no-service-contract = This device is not under a service contract today, so faults cannot be reported here. Please call your service partner.
rule-supplies-switched-off = Requesting supplies from this device is switched off by your service partner.
rule-no-supplies-contract = This device is not under a supplies contract, so supplies cannot be requested here. Please order them from your service partner.
rule-meters-switched-off = Submitting meter reads from this device is switched off by your service partner.
rule-unknown-device = This device is not registered with your service partner, so requests from it cannot be handled yet. Please ask your service partner to add device { $serial } to their fleet.
rule-refused = The request was not accepted by your service partner: { $reason }
rule-unavailable = A service this request depends on did not answer.
rule-internal = Something went wrong on our side. Please try again.
