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

// Task type names. The part before the colon groups them in asynq's tools.
const (
	// TypeDeliveryFanout sends an activity's pending, due deliveries.
	TypeDeliveryFanout = "delivery:fanout"
	// TypeDeliveryRetry sends one delivery again once it is due.
	TypeDeliveryRetry = "delivery:retry"
	// TypeDeliveryReconcile re-enqueues due deliveries that have no live
	// task (Redis lost them, a process died, an enqueue failed).
	TypeDeliveryReconcile = "delivery:reconcile"
	// TypeInboxProcess processes one received activity.
	TypeInboxProcess = "inbox:process"
)

// DeliveryFanout is the payload of TypeDeliveryFanout.
type DeliveryFanout struct {
	ActivityID int64 `json:"activity_id"`
}

// DeliveryRetry is the payload of TypeDeliveryRetry.
type DeliveryRetry struct {
	DeliveryID int64 `json:"delivery_id"`
}

// DeliveryReconcile is the payload of TypeDeliveryReconcile; it carries
// nothing because the database says what is due.
type DeliveryReconcile struct{}

// InboxProcess is the payload of TypeInboxProcess.
type InboxProcess struct {
	ItemID int64 `json:"item_id"`
}
