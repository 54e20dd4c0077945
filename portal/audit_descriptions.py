"""What the portal's own audit entries say (see audit.describe)."""

from audit.describe import kinds

kinds("accounts").add("demo.seeded", "Demo school set up", "{who} set up {target} as the demo school")
