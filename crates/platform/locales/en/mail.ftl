# The confirmation e-mail (crates/assistant/src/mail). Subjects end with the device:
# "SR-2026-000123: your service request for XRX123 (AltaLink C8055)".
mail-subject-service = your service request for { $device }
mail-subject-supply = your supply request for { $device }
mail-subject-meters = your meter reads for { $device }
mail-heading-service = Your service request
mail-heading-supply = Your supply request
mail-heading-meters = Your meter reads
mail-intro = Thank you. We have received your request and will take care of it.
mail-intro-pending = Thank you. We have received your request. The incident number will follow in a separate e-mail.
mail-intro-meters = Thank you. We have received the meter reads of this device.
mail-number = Incident number
mail-number-meters = Confirmation number
mail-reference = Reference
mail-created = Created
mail-device = Device
mail-serial = Serial number
mail-model = Model
mail-location = Location
mail-request = Request
mail-issue = Issue
mail-description = Description
mail-supplies = Supplies
mail-part-number = Part number
mail-colorant = Colour
mail-level = Level
mail-meters = Meters
mail-meter-value = Count
mail-contact = Contact
mail-name = Name
mail-email = E-mail
mail-phone = Phone
mail-not-given = not given
mail-sent-by = This e-mail was sent automatically by { $sender }.
mail-quote = Please quote the incident number in any reply.
mail-quote-meters = Please quote the confirmation number in any reply.

## The vendor's settings: the help-desk override (the partner's own ticket number).
mail-ticket-number = Ticket number
