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
