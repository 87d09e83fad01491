"""Reading the gate input: preview document, normalization, Terraform-plan and manifest translation."""
