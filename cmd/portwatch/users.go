package main

import (
	"os/user"
	"strconv"
)

// userCache maps user ids to names, asking the system once per id.
type userCache map[int]string

func newUserCache() userCache { return userCache{} }

// name returns the user name of uid, or "" when it has none.
func (c userCache) name(uid int) string {
	if uid < 0 {
		return ""
	}
	if n, ok := c[uid]; ok {
		return n
	}
	n := ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		n = u.Username
	}
	c[uid] = n
	return n
}
