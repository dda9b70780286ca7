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
	// QueueInbox holds the processing of received activities. Its own
	// worker pool serves it (InboxQueues), so a flood of received
	// activities waits there instead of holding every worker.
	QueueInbox = "inbox"
	// QueueFetch holds received replies whose thread must first be
	// fetched from other servers. Its own small pool serves it
	// (FetchQueues): those tasks wait on remote servers, up to tens of
	// seconds each, and must hold neither the inbox's workers nor the
	// senders'.
	QueueFetch = "fetch"
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

// InboxQueues returns the queues of the inbox worker pool.
func InboxQueues(prefix string) map[string]int {
	return map[string]int{prefix + QueueInbox: 1}
}

// FetchQueues returns the queues of the pool that fetches the threads of
// received replies.
func FetchQueues(prefix string) map[string]int {
	return map[string]int{prefix + QueueFetch: 1}
}

// AllQueues returns every queue of an instance, for tools that list or
// clear them.
func AllQueues(prefix string) []string {
	var all []string
	for q := range Queues(prefix) {
		all = append(all, q)
	}
	for q := range InboxQueues(prefix) {
		all = append(all, q)
	}
	for q := range FetchQueues(prefix) {
		all = append(all, q)
	}
	return all
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
	// TypeInboxFetchParents fetches the posts missing above a received
	// reply from their origin, then processes the reply.
	TypeInboxFetchParents = "inbox:fetch-parents"
	// TypePeersProbe asks the hosts of community members what software
	// they run (NodeInfo), for the Announces each is sent.
	TypePeersProbe = "peers:probe"
)

// DeliveryFanout is the payload of TypeDeliveryFanout: one activity, or
// the several one transaction stored.
type DeliveryFanout struct {
	ActivityID  int64   `json:"activity_id,omitempty"`
	ActivityIDs []int64 `json:"activity_ids,omitempty"`
}

// IDs lists the payload's activities.
func (d DeliveryFanout) IDs() []int64 { return idList(d.ActivityID, d.ActivityIDs) }

// DeliveryRetry is the payload of TypeDeliveryRetry.
type DeliveryRetry struct {
	DeliveryID int64 `json:"delivery_id"`
}

// DeliveryReconcile is the payload of TypeDeliveryReconcile; it carries
// nothing because the database says what is due.
type DeliveryReconcile struct{}

// PeersProbe is the payload of TypePeersProbe; the database says which
// hosts are due.
type PeersProbe struct{}

// InboxProcess is the payload of TypeInboxProcess: one received item, or
// the several one insert stored, to be processed in order.
type InboxProcess struct {
	ItemID  int64   `json:"item_id,omitempty"`
	ItemIDs []int64 `json:"item_ids,omitempty"`
}

// IDs lists the payload's items.
func (p InboxProcess) IDs() []int64 { return idList(p.ItemID, p.ItemIDs) }

// InboxFetchParents is the payload of TypeInboxFetchParents: one received
// item, a reply whose thread we do not hold, and the items received with
// it that name it, processed after it.
type InboxFetchParents struct {
	ItemID int64   `json:"item_id"`
	Then   []int64 `json:"then,omitempty"`
}

// idList joins a payload's single id (older tasks carry only that) and
// its list.
func idList(one int64, many []int64) []int64 {
	if one == 0 {
		return many
	}
	return append([]int64{one}, many...)
}
