using System.Net;
using System.Net.Http.Json;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>The success statuses clients branch on: 201 vs 200 on create, 200 vs 204 on removal, 204 on leave.</summary>
public sealed class SuccessStatusTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Creating_a_1_to_1_DM_is_201_with_its_location_once_then_200_with_the_same_DM_from_either_side()
    {
        await using var a = fixture.NewUser("a");
        await using var b = fixture.NewUser("b");

        var created = await a.Http.PostAsJsonAsync("/dm-groups", new { memberIds = new[] { b.UserId } });
        await Rest.AssertStatusAsync(created, HttpStatusCode.Created);
        var dm = (await created.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!;
        Assert.False(dm.IsGroup);
        Assert.Equal(a.UserId, dm.OwnerId);
        Assert.Equal(new[] { a.UserId, b.UserId }.Order(), dm.MemberIds.Order());
        Assert.Equal($"/dm-groups/{dm.Id}", created.Headers.Location?.OriginalString);
        var located = await b.Http.GetFromJsonAsync<DmGroup>(created.Headers.Location, VoiceUser.Json);
        Assert.Equal(dm.Id, located!.Id);

        // Again from the same side (listing the caller too) and from the other side: the same DM, 200.
        foreach (var (who, members) in new[] { (a, new[] { b.UserId }), (a, new[] { b.UserId, a.UserId }), (b, new[] { a.UserId }) })
        {
            var again = await who.Http.PostAsJsonAsync("/dm-groups", new { memberIds = members });
            await Rest.AssertStatusAsync(again, HttpStatusCode.OK);
            Assert.Null(again.Headers.Location);
            var same = (await again.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!;
            Assert.Equal(dm.Id, same.Id);
            Assert.Equal(dm.OwnerId, same.OwnerId);
            Assert.Equal(dm.CreatedAt, same.CreatedAt);
        }

        Assert.Single((await a.ListDmsAsync()).DmGroups);
        Assert.Single((await b.ListDmsAsync()).DmGroups);
    }

    [Fact]
    public async Task Each_group_DM_created_is_a_new_201_even_with_the_same_members()
    {
        await using var a = fixture.NewUser("a");
        var others = new[] { TestIds.User("b"), TestIds.User("c") };

        var first = await a.Http.PostAsJsonAsync("/dm-groups", new { memberIds = others });
        var second = await a.Http.PostAsJsonAsync("/dm-groups", new { memberIds = others });
        var named = await a.Http.PostAsJsonAsync("/dm-groups", new { memberIds = others.Take(1), name = "  Raid night  " });

        foreach (var response in new[] { first, second, named })
        {
            await Rest.AssertStatusAsync(response, HttpStatusCode.Created);
            Assert.NotNull(response.Headers.Location);
        }

        var ids = await Task.WhenAll(new[] { first, second, named }.Select(async r => (await r.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!));
        Assert.Equal(3, ids.Select(g => g.Id).Distinct().Count());
        Assert.All(ids, g => Assert.True(g.IsGroup));
        Assert.Equal("Raid night", ids[2].Name);
    }

    [Fact]
    public async Task Removing_members_is_200_with_the_group_until_the_last_one_leaves_then_204_and_the_DM_is_gone()
    {
        await using var scenario = await CallScenario.StartAsync(fixture.Server.BaseAddress, startCall: false);
        var dm = scenario.DmGroupId;

        var removed = await scenario.Caller.Http.DeleteAsync($"/dm-groups/{dm}/members/{scenario.Rung.UserId}");
        await Rest.AssertStatusAsync(removed, HttpStatusCode.OK);
        var group = (await removed.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!;
        Assert.DoesNotContain(scenario.Rung.UserId, group.MemberIds);
        await Rest.AssertProblemAsync(await scenario.Rung.Http.GetAsync($"/dm-groups/{dm}"), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);

        // The owner leaves: ownership passes on.
        var ownerLeft = await scenario.Caller.Http.DeleteAsync($"/dm-groups/{dm}/members/{scenario.Caller.UserId}");
        await Rest.AssertStatusAsync(ownerLeft, HttpStatusCode.OK);
        Assert.Equal(scenario.Other.UserId, (await ownerLeft.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!.OwnerId);

        var lastLeft = await scenario.Other.Http.DeleteAsync($"/dm-groups/{dm}/members/{scenario.Other.UserId}");
        await Rest.AssertStatusAsync(lastLeft, HttpStatusCode.NoContent);
        Assert.Empty(await lastLeft.Content.ReadAsByteArrayAsync());
        await Rest.AssertProblemAsync(await scenario.Other.Http.GetAsync($"/dm-groups/{dm}"), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
        Assert.Empty((await scenario.Other.ListDmsAsync()).DmGroups);
    }

    [Fact]
    public async Task Leaving_a_call_is_204_and_the_call_actions_answer_as_documented()
    {
        await using var scenario = await CallScenario.StartAsync(fixture.Server.BaseAddress, startCall: false);
        var dm = scenario.DmGroupId;

        var join = await scenario.Caller.Http.PostAsync($"/dm-groups/{dm}/voice-presence/join", null);
        await Rest.AssertStatusAsync(join, HttpStatusCode.OK);
        Assert.True((await join.Content.ReadFromJsonAsync<JoinResult>(VoiceUser.Json))!.CallStarted);

        await Rest.AssertStatusAsync(await scenario.Other.Http.PostAsync($"/dm-groups/{dm}/call/dismiss", null), HttpStatusCode.NoContent);
        await Rest.AssertStatusAsync(await scenario.Rung.Http.PostAsync($"/dm-groups/{dm}/call/decline", null), HttpStatusCode.NoContent);
        var ring = await scenario.Caller.Http.PostAsJsonAsync($"/dm-groups/{dm}/call/ring", new { recipientIds = new[] { scenario.Rung.UserId } });
        await Rest.AssertStatusAsync(ring, HttpStatusCode.OK);
        Assert.Equal(scenario.Rung.UserId, (await ring.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("ringing")[0].Str("userId"));
        await Rest.AssertStatusAsync(
            await scenario.Caller.Http.PostAsJsonAsync($"/dm-groups/{dm}/call/stop-ringing", new { recipientIds = new[] { scenario.Rung.UserId } }), HttpStatusCode.NoContent);

        var leave = await scenario.Caller.Http.DeleteAsync($"/dm-groups/{dm}/voice-presence/leave");
        await Rest.AssertStatusAsync(leave, HttpStatusCode.NoContent);
        Assert.Empty(await leave.Content.ReadAsByteArrayAsync());
        Assert.Empty((await scenario.Caller.PresenceAsync(dm)).Participants);
        Assert.Null((await scenario.Caller.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!.ActiveCall);

        // Leaving twice is an error, not a silent success.
        await Rest.AssertProblemAsync(await scenario.Caller.Http.DeleteAsync($"/dm-groups/{dm}/voice-presence/leave"), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
    }
}
