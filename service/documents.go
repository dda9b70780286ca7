package service

// DocumentGeneration changes whenever a change has committed that may
// show in a document served to other servers (an actor, a collection); a
// cache of rendered documents stays valid while it stays the same. Read it
// before reading what a document is made of. See store.Generation.
func (s *Service) DocumentGeneration() uint64 { return s.store.Generation() }
