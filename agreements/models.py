# Models of this area arrive with its issue; see DESIGN.md.
