"""kafka-active-active: one declarative topology -> an active-active pair of Kafka clusters."""
