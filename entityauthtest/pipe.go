package entityauthtest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// pipePort numbers the pretend ports of pipe servers, so that their URLs differ.
var pipePort atomic.Int32

func init() { pipePort.Store(40000) }

// pipeListener is a net.Listener whose connections are the server ends of
// net.Pipe pairs created by dial. It starts no goroutine of its own, so it
// works inside a testing/synctest bubble.
type pipeListener struct {
	addr  *net.TCPAddr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	port  atomic.Int32 // last client port handed out
}

func newPipeListener() *pipeListener {
	l := &pipeListener{
		addr:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(pipePort.Add(1))},
		conns: make(chan net.Conn),
		done:  make(chan struct{}),
	}
	l.port.Store(50000)
	return l
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// dial connects to the listener, whatever the address; it fails like a
// refused TCP connection once the listener is closed.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(l.port.Add(1))}
	select {
	case l.conns <- &pipeConn{Conn: server, local: l.addr, remote: remote}:
		return &pipeConn{Conn: client, local: remote, remote: l.addr}, nil
	case <-l.done:
		_, _ = client.Close(), server.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: l.addr, Err: syscall.ECONNREFUSED}
	case <-ctx.Done():
		_, _ = client.Close(), server.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: l.addr, Err: ctx.Err()}
	}
}

// pipeConn gives a net.Pipe end loopback TCP addresses, so that the server
// sees a client address of 127.0.0.1 as it would on a socket.
type pipeConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.local }
func (c *pipeConn) RemoteAddr() net.Addr { return c.remote }
