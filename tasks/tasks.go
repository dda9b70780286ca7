// Package tasks names Practica's background task types and their payloads.
// It is a leaf shared by the service (which enqueues) and the workers (which
// handle): payloads carry row ids only, never models.
package tasks

// Queue names, before the instance's prefix. Direct and membership traffic
// goes before bulk fan-out.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// Queues returns the queue names with an instance prefix, and their
// relative priorities for asynq's weighted scheduling.
func Queues(prefix string) map[string]int {
	return map[string]int{
		prefix + QueueCritical: 6,
		prefix + QueueDefault:  3,
		prefix + QueueBulk:     1,
	}
}
