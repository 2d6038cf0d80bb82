using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Limits;

/// <summary>
/// What one account can make the cluster store is bounded, whatever member ids it makes up: new DMs a
/// minute (429 <c>rate_limited</c>), group DMs ever created and DMs in one's list (409 <c>limit_reached</c>).
/// The limits are set low here; the defaults are in README and API.md.
/// </summary>
public sealed class DmCapTests : IAsyncLifetime
{
    private const int PerMinute = 3;
    private const int GroupsEver = 4;
    private const int Listed = 6;

    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await GatewayServer.StartAsync(s =>
        {
            s["Gateway:RequestsPerMinute"] = "1000000";
            s["Calls:DmsCreatedPerMinute"] = PerMinute.ToString(CultureInfo.InvariantCulture);
            s["Calls:GroupDmsCreatedLimit"] = GroupsEver.ToString(CultureInfo.InvariantCulture);
            s["Calls:DmsPerUser"] = Listed.ToString(CultureInfo.InvariantCulture);
        });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private VoiceUser NewUser(string name) => Rest.NewUser(_server.BaseAddress, name);

    private static Task<HttpResponseMessage> CreateAsync(VoiceUser creator, params string[] memberIds) =>
        creator.Http.PostAsJsonAsync("/dm-groups", new { memberIds });

    private static string MadeUp() => TestIds.User("made-up");

    [Fact]
    public async Task A_user_creates_at_most_the_limit_of_new_DMs_a_minute_then_429_with_Retry_After_and_an_existing_DM_does_not_count()
    {
        await using var me = NewUser("fast-creator");
        await using var friend = NewUser("friend");
        var first = await me.CreateDmAsync(friend);
        for (var i = 1; i < PerMinute; i++)
        {
            await Rest.AssertStatusAsync(await CreateAsync(me, MadeUp(), MadeUp()), HttpStatusCode.Created);
        }

        // Asking for a 1:1 DM that exists creates nothing, so it is answered even at the limit.
        await Rest.AssertStatusAsync(await CreateAsync(me, friend.UserId), HttpStatusCode.OK);

        var refused = await CreateAsync(me, MadeUp());
        var problem = await Rest.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, problem.GetProperty("retryAfterSeconds").GetInt32());
        Assert.Equal(PerMinute, (await me.ListDmsAsync()).DmGroups.Count);

        _server.Time.Advance(TimeSpan.FromMinutes(1));
        await Rest.AssertStatusAsync(await CreateAsync(me, MadeUp()), HttpStatusCode.Created);
        Assert.Contains((await me.ListDmsAsync()).DmGroups, d => d.Id == first.Id);
    }

    [Fact]
    public async Task Group_DMs_one_user_ever_creates_are_capped_and_leaving_them_does_not_give_them_back()
    {
        await using var me = NewUser("group-maker");
        for (var i = 0; i < GroupsEver; i++)
        {
            var created = await CreateAsync(me, MadeUp(), MadeUp());
            await Rest.AssertStatusAsync(created, HttpStatusCode.Created);
            var dm = (await created.Content.ReadFromJsonAsync<DmGroup>())!;
            await Rest.AssertStatusAsync(await me.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{me.UserId}"), HttpStatusCode.OK);
            _server.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Empty((await me.ListDmsAsync()).DmGroups);
        var problem = await Rest.AssertProblemAsync(await CreateAsync(me, MadeUp(), MadeUp()), HttpStatusCode.Conflict, ErrorCodes.LimitReached);
        Assert.Contains("group DMs", problem.Str("detail"), StringComparison.Ordinal);

        // 1:1 DMs are bounded by the list instead.
        await Rest.AssertStatusAsync(await CreateAsync(me, MadeUp()), HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_user_whose_list_is_full_cannot_create_another_DM_and_nothing_is_stored_for_its_made_up_members()
    {
        await using var me = NewUser("collector");
        for (var i = 0; i < Listed; i++)
        {
            await Rest.AssertStatusAsync(await CreateAsync(me, MadeUp()), HttpStatusCode.Created);
            _server.Time.Advance(TimeSpan.FromMinutes(1));
        }

        var nobody = MadeUp();
        await Rest.AssertProblemAsync(await CreateAsync(me, nobody), HttpStatusCode.Conflict, ErrorCodes.LimitReached);
        await Rest.AssertProblemAsync(await CreateAsync(me, nobody, MadeUp()), HttpStatusCode.Conflict, ErrorCodes.LimitReached);
        Assert.Equal(Listed, (await me.ListDmsAsync(limit: 100)).DmGroups.Count);

        // The made-up user, should someone ever sign in as them, is in no DM.
        await using var madeUp = VoiceUser.WithToken(_server.BaseAddress, nobody, TestTokens.Mint(nobody));
        Assert.Empty((await madeUp.ListDmsAsync()).DmGroups);

        // What was created is real for its other member: the limit refused only what came after it.
        var one = (await me.ListDmsAsync(limit: 100)).DmGroups[0];
        Assert.False(one.IsGroup);
        await using var other = VoiceUser.WithToken(_server.BaseAddress, one.MemberIds.First(m => m != me.UserId), TestTokens.Mint(one.MemberIds.First(m => m != me.UserId)));
        Assert.Contains((await other.ListDmsAsync()).DmGroups, d => d.Id == one.Id);
    }
}
