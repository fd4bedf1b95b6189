package liemu

import (
	"net/http"
	"strconv"
	"strings"
)

// wireAcl is one element of the roleAssignee finder: DOCUMENTED fields
// roleAssignee, state, role and organization
// (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role,
// "Find a Member's Organization Access Control Information").
type wireAcl struct {
	RoleAssignee string `json:"roleAssignee"`
	State        string `json:"state"`
	Role         string `json:"role"`
	Organization string `json:"organization"`
}

// wireOrganization is the organisation lookup answer: DOCUMENTED id,
// localizedName, vanityName and the localized name object
// (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api).
type wireOrganization struct {
	ID            int64          `json:"id"`
	LocalizedName string         `json:"localizedName"`
	VanityName    string         `json:"vanityName"`
	Name          map[string]any `json:"name"`
}

// findAcls serves GET /rest/organizationAcls?q=roleAssignee: the roles the
// token's member holds, filtered by the optional role and state parameters
// ("Limit results to specific roles … role states"), paged with start/count.
// A seeded token's member holds one role, on the organisation the token was
// issued for; an OAuth-issued token's member holds it on each organisation
// the member administers.
func (e *Emulator) findAcls(w http.ResponseWriter, r *http.Request, tok token) {
	q := r.URL.Query()
	if q.Get("q") != "roleAssignee" {
		writeError(w, errBadRequest("Unknown finder "+strconv.Quote(q.Get("q"))+"; expected q=roleAssignee")) // ASSUMED body
		return
	}
	start, count, rerr := e.pageParams(q)
	if rerr != nil {
		writeError(w, *rerr)
		return
	}
	all := []wireAcl{{RoleAssignee: tok.member, State: StateApproved, Role: tok.role, Organization: tok.org}}
	for _, o := range tok.orgs {
		if o != tok.org {
			all = append(all, wireAcl{RoleAssignee: tok.member, State: StateApproved, Role: tok.role, Organization: o})
		}
	}
	var els []wireAcl
	for _, a := range all {
		if (q.Get("role") == "" || q.Get("role") == a.Role) && (q.Get("state") == "" || q.Get("state") == a.State) {
			els = append(els, a)
		}
	}
	total := len(els)
	page := []wireAcl{}
	for i := start; i < total && i < start+count; i++ {
		page = append(page, els[i])
	}
	writeJSON(w, http.StatusOK, collection[wireAcl]{Elements: page, Paging: makePaging(r.URL, start, count, total)})
}

// getOrganization serves GET /rest/organizations/{id} for a known
// organisation; any valid token may read its public fields.
func (e *Emulator) getOrganization(w http.ResponseWriter, id string) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		writeError(w, errBadRequest("Organization id must be numeric"))
		return
	}
	e.mu.Lock()
	o, ok := e.orgs["urn:li:organization:"+id]
	var name string
	if ok {
		name = o.name
	}
	e.mu.Unlock()
	if !ok {
		writeError(w, errNotFound("Organization "+id))
		return
	}
	vanity := strings.ToLower(strings.Join(strings.Fields(name), "-"))
	writeJSON(w, http.StatusOK, wireOrganization{ID: n, LocalizedName: name, VanityName: vanity,
		Name: map[string]any{"localized": map[string]string{"en_US": name}, "preferredLocale": map[string]string{"country": "US", "language": "en"}}})
}
