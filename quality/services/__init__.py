"""Quality workflows, one module per area (every write of more than one row, every side effect).

- `inspections`: inspection plans, inspections created by receipts, packed shipments and the
  periodic schedule, recording results (a failure quarantines stock and opens an NCR).
- `nonconformance`: NCRs, dispositions through inventory.services, CAPA, reminders, SCARs.
- `compliance`: the register, reviews, evidence, certifications, clause tags, reminders.
- `safety`: incidents and near misses.
- `sops`: SOP documents and versions (draft → in review → effective → superseded),
  acknowledgements.
- `manuals`: manuals (ordered SOPs) and their PDF, rendered as a DocumentJob.

Services raise ValidationError naming the field; each is atomic: nothing is half-saved.
"""
