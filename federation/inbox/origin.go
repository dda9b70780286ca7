package inbox

import (
	"net/url"
	"strings"
)

// sameHost reports whether two URLs share a host: ids live on the host of
// their actor (protocol.md §13).
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}
