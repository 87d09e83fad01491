"""What the gate enforces: rule catalogue, curated Checkov list, waivers, controls matrix."""
