package main

import (
	"fmt"
	"net"
	"sync"
)

// ports hands out listen addresses: from a fixed range when the machine is
// shared and each user has ports of its own, else any free port.
type ports struct {
	mu         sync.Mutex
	next, last int // 0: any free port
}

// newPorts parses "" (any free port) or "first-last".
func newPorts(spec string) (*ports, error) {
	p := &ports{}
	if spec == "" {
		return p, nil
	}
	if _, err := fmt.Sscanf(spec, "%d-%d", &p.next, &p.last); err != nil || p.next <= 0 || p.last < p.next {
		return nil, fmt.Errorf("-ports %q: want first-last, e.g. 18100-18149", spec)
	}
	return p, nil
}

// addr returns a 127.0.0.1 address that was free a moment ago.
func (p *ports) addr() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer ln.Close()
		return ln.Addr().String(), nil
	}
	for ; p.next <= p.last; p.next++ {
		a := fmt.Sprintf("127.0.0.1:%d", p.next)
		ln, err := net.Listen("tcp", a)
		if err != nil {
			continue
		}
		ln.Close()
		p.next++
		return a, nil
	}
	return "", fmt.Errorf("no free port left in the -ports range")
}
