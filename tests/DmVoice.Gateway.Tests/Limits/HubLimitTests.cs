using DmVoice.Gateway.Tests.Api;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Gateway.Tests.Limits;

/// <summary>
/// Limits on the live channel that protect everyone else: hub calls spend the same per-user budget as REST,
/// a user's connections are capped (the oldest goes), and a connection ends with its token.
/// </summary>
public sealed class HubLimitTests
{
    [Fact]
    public async Task Hub_calls_over_the_per_user_budget_fail_with_rate_limited_while_other_users_and_an_ordinary_session_are_unaffected()
    {
        await using var server = await GatewayServer.StartAsync(s => s["Gateway:RequestsPerMinute"] = "12");
        await using var greedy = Rest.NewUser(server.BaseAddress, "greedy");
        await using var ordinary = Rest.NewUser(server.BaseAddress, "ordinary");
        var device = await greedy.ConnectAsync();

        // Connecting (negotiate, the WebSocket, the first sync) and these syncs all spend from one budget.
        var refused = await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    await device.Connection.InvokeAsync<MyVoiceOverview>("sync");
                    return null;
                }
                catch (HubException ex)
                {
                    return ex;
                }
            },
            ex => ex is not null,
            "a sync to be refused");
        Assert.Contains($"{ErrorCodes.RateLimited}:", refused!.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, device.Connection.State);

        // The same budget as REST: the greedy user's requests are refused there too.
        await Rest.AssertProblemAsync(await greedy.Http.GetAsync("/me/voice"), System.Net.HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);

        // Someone else connects and syncs as usual.
        var other = await ordinary.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await other.Connection.InvokeAsync<MyVoiceOverview>("sync"));
        }
    }

    [Fact]
    public async Task A_connection_over_the_per_user_cap_closes_the_oldest_with_connection_limit_and_it_does_not_come_back()
    {
        await using var server = await GatewayServer.StartAsync(s => s["Gateway:MaxConnectionsPerUser"] = "3");
        await using var me = Rest.NewUser(server.BaseAddress, "me");
        await using var other = Rest.NewUser(server.BaseAddress, "other");
        var devices = new List<VoiceUser.Device>();
        for (var i = 0; i < 3; i++)
        {
            devices.Add(await me.ConnectAsync(reconnect: true));
        }

        var others = new[] { await other.ConnectAsync(), await other.ConnectAsync() };

        // Up to the cap, nobody is closed.
        Assert.All(devices, d => Assert.Equal(HubConnectionState.Connected, d.Connection.State));

        var fourth = await me.ConnectAsync(reconnect: true);

        await Eventually.TrueAsync(() => devices[0].Connection.State == HubConnectionState.Disconnected, "the oldest device to be closed");
        Assert.Contains(devices[0].CloseErrors, e => e.Contains(ConnectionCloseReasons.ConnectionLimit, StringComparison.Ordinal));
        Assert.Equal(0, devices[0].Reconnects);
        Assert.All(devices.Skip(1).Append(fourth), d => Assert.Equal(HubConnectionState.Connected, d.Connection.State));
        Assert.All(others, d => Assert.Equal(HubConnectionState.Connected, d.Connection.State));

        // The newest still gets events and syncs.
        Assert.NotNull(await fourth.Connection.InvokeAsync<MyVoiceOverview>("sync"));
    }

    [Fact]
    public async Task A_connection_closes_when_its_token_expires_while_one_with_a_valid_token_stays()
    {
        await using var server = await GatewayServer.StartAsync();
        var userId = TestIds.User("short");
        await using var shortLived = VoiceUser.WithToken(server.BaseAddress, userId, TestTokens.Mint(userId, expires: DateTime.UtcNow.AddSeconds(4)));
        await using var longLived = VoiceUser.WithToken(server.BaseAddress, userId, TestTokens.Mint(userId, expires: DateTime.UtcNow.AddHours(1)));
        var expiring = await shortLived.ConnectAsync();
        var lasting = await longLived.ConnectAsync();

        await Eventually.TrueAsync(() => expiring.Connection.State == HubConnectionState.Disconnected, "the connection to close when its token expires", TimeSpan.FromSeconds(30));

        Assert.Equal(HubConnectionState.Connected, lasting.Connection.State);
        Assert.NotNull(await lasting.Connection.InvokeAsync<MyVoiceOverview>("sync"));
    }
}
