package entityauthtest

import "time"

// DefaultChainDelay is how long a queued transaction takes to reach the fake
// chain when [Options.ChainDelay] is 0. The real service sets no figure:
// its transactions wait in a queue for a worker, then for a block; expect
// several seconds, possibly tens.
const DefaultChainDelay = 5 * time.Second

// Kinds of queued transactions, as the real service names them.
const (
	txDIDRegister   = "DID_REGISTER"
	txDIDUpdate     = "DID_UPDATE"
	txDIDDeactivate = "DID_DEACTIVATE"
	txCredRegister  = "CRED_REGISTER"
	txCredUpdate    = "CRED_UPDATE"
)

// A chainTx is a transaction that the SSI API queued (queued mode): it
// changes the chain when it lands, at its time or at [Server.FlushChain].
type chainTx struct {
	kind string
	at   time.Time
	// land applies the transaction to the chain at the given time; it
	// returns false when the chain refuses it. s.mu is held.
	land func(at time.Time) bool
}

// queued reports whether the SSI API queues its chain transactions, as the
// real service does for an app with a fee grant.
func (s *Server) queued() bool { return !s.opts.DirectMode }

// chainDelay is the delay of a transaction queued now.
func (s *Server) chainDelay() time.Duration {
	if s.opts.ChainDelay == 0 {
		return DefaultChainDelay
	}
	return s.opts.ChainDelay
}

// enqueueLocked queues a transaction that lands after the chain delay, in
// order: never before one queued earlier. s.mu must be held.
func (s *Server) enqueueLocked(kind string, land func(at time.Time) bool) {
	at := time.Now().Add(s.chainDelay())
	if n := len(s.ssi.pending); n > 0 && at.Before(s.ssi.pending[n-1].at) {
		at = s.ssi.pending[n-1].at
	}
	s.ssi.pending = append(s.ssi.pending, chainTx{kind: kind, at: at, land: land})
}

// settleLocked lands, in order, every queued transaction whose time has
// come by now. The chain changes lazily, when a request or a method reads
// it, so that no timer runs: this works inside a testing/synctest bubble,
// where time.Now is the bubble's clock. s.mu must be held.
func (s *Server) settleLocked(now time.Time) {
	for len(s.ssi.pending) > 0 && !s.ssi.pending[0].at.After(now) {
		tx := s.ssi.pending[0]
		s.ssi.pending[0] = chainTx{}
		s.ssi.pending = s.ssi.pending[1:]
		if !tx.land(tx.at) {
			s.logf("chain: queued %s refused", tx.kind)
		}
	}
}

// FlushChain lands every transaction that the SSI API has queued, at once
// and in order, as if the chain had caught up. It does nothing in
// [Options.DirectMode], where nothing is queued.
func (s *Server) FlushChain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for i := range s.ssi.pending {
		s.ssi.pending[i].at = now
	}
	s.settleLocked(now)
}

// QueuedTransactions returns the number of transactions that the SSI API
// has queued and that have not reached the chain yet.
func (s *Server) QueuedTransactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(time.Now())
	return len(s.ssi.pending)
}
