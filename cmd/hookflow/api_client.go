package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/config"
)

// apiClient calls a running Hookflow with a token minted from the
// configured key, for the commands that try things out.
type apiClient struct {
	server string
	token  string
	out    io.Writer
}

func newAPIClient(server string, p auth.Principal, out io.Writer) (apiClient, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return apiClient{}, err
	}
	token, err := mintToken(cfg, p, 10*time.Minute)
	if err != nil {
		return apiClient{}, err
	}
	return apiClient{server: strings.TrimRight(server, "/"), token: token, out: out}, nil
}

// call sends body as JSON and prints the answer, indented; an answer that is
// not a 2xx is printed too and returned as an error.
func (c apiClient) call(ctx context.Context, method, path string, body any) error {
	status, raw, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	if _, err := fmt.Fprintln(c.out, pretty.String()); err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("%s %s answered %d %s", method, path, status, http.StatusText(status))
	}
	return nil
}

// getJSON decodes the answer of a GET into v; an answer that is not a 2xx
// is printed and returned as an error.
func (c apiClient) getJSON(ctx context.Context, path string, v any) error {
	status, raw, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		_, _ = fmt.Fprintln(c.out, string(raw))
		return fmt.Errorf("GET %s answered %d %s", path, status, http.StatusText(status))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode answer of GET %s: %w", path, err)
	}
	return nil
}

// send makes one request with the client's token and reads the answer.
func (c apiClient) send(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(buf)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("--server %q: %w", c.server, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("is Hookflow running at %s (--server)? %w", c.server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	return resp.StatusCode, raw, nil
}
