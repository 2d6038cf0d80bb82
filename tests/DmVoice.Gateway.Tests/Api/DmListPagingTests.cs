using System.Net;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>GET /dm-groups pages a user's DMs, newest activity first, with an opaque cursor.</summary>
public sealed class DmListPagingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task A_user_with_a_handful_of_DMs_gets_them_all_on_one_page_newest_first()
    {
        await using var me = fixture.NewUser("me");
        var first = await me.CreateDmAsync(fixture.NewUser("a"));
        fixture.Server.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await me.CreateDmAsync(fixture.NewUser("b"), fixture.NewUser("c"));

        var page = await me.ListDmsAsync();

        Assert.Equal([second.Id, first.Id], page.DmGroups.Select(g => g.Id));
        Assert.Null(page.NextCursor);
        Assert.True(page.DmGroups[0].LastActivityAt > page.DmGroups[1].LastActivityAt);
        Assert.Equal(second.MemberIds.Order(), page.DmGroups[0].MemberIds.Order());
        Assert.True(page.DmGroups[0].IsGroup);
    }

    [Fact]
    public async Task Pages_of_a_chosen_size_cover_every_DM_once_and_a_call_brings_a_DM_back_to_the_top()
    {
        await using var me = fixture.NewUser("me");
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await me.CreateDmAsync(fixture.NewUser($"friend{i}"))).Id);
            fixture.Server.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await me.ListDmsAsync(limit: 2, cursor: cursor);
            Assert.InRange(page.DmGroups.Count, 1, 2);
            seen.AddRange(page.DmGroups.Select(g => g.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(created), seen);

        // A call in the oldest DM makes it the newest.
        await me.JoinAsync(created[0]);
        var top = await Eventually.GetAsync(() => me.ListDmsAsync(limit: 1), p => p.DmGroups[0].Id == created[0], "the DM with a call on top");
        Assert.NotNull(top.NextCursor);
    }

    [Fact]
    public async Task A_cursor_from_another_request_is_taken_but_a_made_up_one_is_400_malformed_request()
    {
        await using var me = fixture.NewUser("me");
        await me.CreateDmAsync(fixture.NewUser("a"));
        await me.CreateDmAsync(fixture.NewUser("b"));
        var cursor = (await me.ListDmsAsync(limit: 1)).NextCursor!;

        Assert.Single((await me.ListDmsAsync(limit: 1, cursor: cursor)).DmGroups);
        await Rest.AssertProblemAsync(await me.Http.GetAsync("/dm-groups?cursor=" + cursor[..^2]), HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);
    }
}
