package linkedin

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/platform"
)

var _ platform.Verifier = (*Adapter)(nil)

// Organisation access control and lookup. DOCUMENTED:
//   - GET /rest/organizationAcls?q=roleAssignee, optionally filtered by role
//     and state, lists the authenticated member's roles as elements
//     {roleAssignee, state, role, organization}
//     (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role,
//     "Find a Member's Organization Access Control Information"). The page
//     permission rw_organization_admin is "Restricted to organizations in
//     which the authenticated member has the role type ADMINISTRATOR"
//     (same page), so an approved ADMINISTRATOR role is what grants Parley
//     the organisation. Roles are ADMINISTRATOR,
//     DIRECT_SPONSORED_CONTENT_POSTER, RECRUITING_POSTER,
//     LEAD_CAPTURE_ADMINISTRATOR, LEAD_GEN_FORMS_MANAGER, ANALYST, CURATOR,
//     CONTENT_ADMINISTRATOR; states APPROVED, REJECTED, REQUESTED, REVOKED
//     (https://learn.microsoft.com/en-us/linkedin/compliance/integrations/organizations/organization-access-control).
//   - GET /rest/organizations/{id} answers localizedName
//     (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api).
const (
	pathOrganizationAcls = "/rest/organizationAcls"
	pathOrganizations    = "/rest/organizations"
	roleAdministrator    = "ADMINISTRATOR"
	stateApproved        = "APPROVED"
	maxAclPages          = 10
)

var orgURNRe = regexp.MustCompile(`^urn:li:organization:([0-9]{1,19})$`)

type wireAcl struct {
	RoleAssignee string `json:"roleAssignee"`
	State        string `json:"state"`
	Role         string `json:"role"`
	Organization string `json:"organization"`
}

// Verify requires the token's member to hold an approved ADMINISTRATOR role
// on the claimed organisation, and reads the organisation's name. LinkedIn's
// 401 (invalid, expired, revoked) is account.token_invalid; 403 is
// account.not_granted.
func (a *Adapter) Verify(ctx context.Context, acct platform.Account) (platform.Identity, error) {
	acct.Platform = platform.LinkedIn
	m := orgURNRe.FindStringSubmatch(acct.NativeID)
	if m == nil {
		return platform.Identity{}, platform.NotGranted(acct, "a LinkedIn organization is named by its URN, urn:li:organization:{id}", "", nil)
	}
	start := 0
	for range maxAclPages {
		q := url.Values{"q": {"roleAssignee"}, "role": {roleAdministrator}, "state": {stateApproved},
			"start": {strconv.Itoa(start)}, "count": {strconv.Itoa(maxCount)}}
		var col collection[wireAcl]
		if _, err := a.do(ctx, acct, http.MethodGet, pathOrganizationAcls+"?"+q.Encode(), nil, &col); err != nil {
			return platform.Identity{}, platform.VerifyError(acct, err)
		}
		for _, e := range col.Elements {
			// The filters are the server's; be sure.
			if e.Organization == acct.NativeID && e.Role == roleAdministrator && e.State == stateApproved {
				return platform.Identity{NativeID: acct.NativeID, Name: a.organizationName(ctx, acct, m[1])}, nil
			}
		}
		next := nextCursor(col.Paging, start, maxCount, len(col.Elements))
		if next == "" {
			break
		}
		n, err := strconv.Atoi(next)
		if err != nil || n <= start {
			break
		}
		start = n
	}
	return platform.Identity{}, platform.NotGranted(acct, "the token's member is not an approved ADMINISTRATOR of the organization", "", nil)
}

// organizationName is cosmetic: a failure leaves the name empty rather than
// refusing a token that was just shown to grant the organisation.
func (a *Adapter) organizationName(ctx context.Context, acct platform.Account, id string) string {
	var org struct {
		LocalizedName string `json:"localizedName"`
	}
	if _, err := a.do(ctx, acct, http.MethodGet, pathOrganizations+"/"+id, nil, &org); err != nil {
		return ""
	}
	return strings.TrimSpace(org.LocalizedName)
}
