using System.Net;
using DmVoice.Gateway.Realtime;
using DmVoice.Gateway.Tests.Api;
using DmVoice.Gateway.Tests.Faults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Gateway.Tests.Observability;

/// <summary>
/// The metrics deploy/prometheus/alerts.yml watches move when the thing they stand for happens, as a
/// scrape of the gateway (co-hosting its silo) shows them.
/// </summary>
public sealed class AlertMetricsTests : IAsyncLifetime
{
    private readonly GrainFaults _faults = new();
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(
        settings => settings["Gateway:RequestsPerMinute"] = "100000",
        services: services => services.AddSingleton<IIncomingGrainCallFilter>(_faults));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static readonly (string, string)[] Ghosts = [("kind", "disconnect_grace")];

    [Fact]
    public async Task A_grace_expiry_that_cannot_take_the_participant_out_of_the_call_is_counted_as_a_ghost()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        // Process-wide (the grace timers of every silo in this test process report to it): count what this test adds.
        var failuresBefore = PrometheusText.Sum(await PrometheusText.ScrapeAsync(_server.BaseAddress), "dmvoice_presence_deadline_failures_total", Ghosts);
        Assert.NotNull(failuresBefore);

        // A join over REST with no device connected holds the seat for the disconnect grace (30 s). When
        // the grace runs out, taking Alice out of the call fails: the call keeps her.
        await alice.JoinAsync(dm.Id);
        _faults.FailNext(nameof(IVoiceRoomGrain.Leave), new InvalidOperationException("the call could not take her out"));
        _server.Time.Advance(TimeSpan.FromSeconds(30));

        await PrometheusText.WaitForAsync(
            _server.BaseAddress, "dmvoice_presence_deadline_failures_total", Ghosts, v => v >= failuresBefore + 1, "the failed grace expiry to be counted");
    }

    [Fact]
    public async Task A_bug_counts_as_an_internal_error_on_its_surface_REST_or_hub()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var before = await PrometheusText.ScrapeAsync(_server.BaseAddress);
        Assert.Equal(0, PrometheusText.Sum(before, "dmvoice_gateway_internal_errors_total", ("surface", "rest")));
        Assert.Equal(0, PrometheusText.Sum(before, "dmvoice_gateway_internal_errors_total", ("surface", "hub")));

        _faults.FailNext(nameof(IDmCallGrain.GetPresence), new InvalidOperationException("a bug"));
        await Rest.AssertProblemAsync(await alice.Http.GetAsync($"/dm-groups/{dm.Id}/voice-presence"), HttpStatusCode.InternalServerError, ErrorCodes.InternalError);
        await PrometheusText.WaitForAsync(_server.BaseAddress, "dmvoice_gateway_internal_errors_total", [("surface", "rest")], v => v == 1, "one REST internal error");

        var phone = await alice.ConnectAsync();
        _faults.FailNext(nameof(IUserVoiceGrain.GetLiveCalls), new InvalidOperationException("a bug"));
        await Assert.ThrowsAsync<HubException>(() => phone.Connection.InvokeAsync<MyVoiceOverview>("sync"));
        await PrometheusText.WaitForAsync(_server.BaseAddress, "dmvoice_gateway_internal_errors_total", [("surface", "hub")], v => v == 1, "one hub internal error");
    }

    [Fact]
    public async Task Events_written_to_a_device_are_timed_and_a_live_call_is_counted_until_it_ends()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var phone = await bob.ConnectAsync();
        var before = await PrometheusText.ScrapeAsync(_server.BaseAddress);
        var timedBefore = PrometheusText.Sum(before, "dmvoice_gateway_event_delivery_duration_seconds_count") ?? 0;
        Assert.Equal(0, PrometheusText.Sum(before, "dmvoice_calls_live"));

        await alice.JoinAsync(dm.Id);
        await phone.WaitForAsync(VoiceEventNames.CallStarted);

        var text = await Eventually.GetAsync(
            () => PrometheusText.ScrapeAsync(_server.BaseAddress),
            t => PrometheusText.Sum(t, "dmvoice_gateway_event_delivery_duration_seconds_count") > timedBefore && PrometheusText.Sum(t, "dmvoice_calls_live") == 1,
            "the events to Bob's phone to be timed and the call to be live");
        // Written at once to a device that reads: well inside the alert's bound of 0.5 s.
        Assert.Equal(
            PrometheusText.Sum(text, "dmvoice_gateway_event_delivery_duration_seconds_count"),
            PrometheusText.Sum(text, "dmvoice_gateway_event_delivery_duration_seconds_bucket", ("le", "0.5")));

        await alice.LeaveAsync(dm.Id);
        _server.Time.Advance(TimeSpan.FromSeconds(11));
        await PrometheusText.WaitForAsync(_server.BaseAddress, "dmvoice_calls_live", [], v => v == 0, "the call to end");
    }

    [Fact]
    public async Task A_gateway_lease_that_runs_out_counts_as_lapsed_on_the_silo_and_one_released_does_not()
    {
        var grains = _server.Services.GetRequiredService<IGrainFactory>();
        var lapsing = grains.GetGrain<IGatewayLeaseGrain>("lapsing-" + Guid.NewGuid().ToString("N")[..8]);
        var leaving = grains.GetGrain<IGatewayLeaseGrain>("leaving-" + Guid.NewGuid().ToString("N")[..8]);
        var before = await PrometheusText.ScrapeAsync(_server.BaseAddress);
        var lapsedBefore = PrometheusText.Sum(before, "dmvoice_presence_gateway_leases_ended_total", ("how", "lapsed"));
        var releasedBefore = PrometheusText.Sum(before, "dmvoice_presence_gateway_leases_ended_total", ("how", "released"));
        Assert.NotNull(lapsedBefore);

        await leaving.Renew(TimeSpan.FromSeconds(30), continuing: false);
        await leaving.Release();
        await lapsing.Renew(TimeSpan.FromSeconds(1), continuing: false);
        await lapsing.Track("alice");

        await PrometheusText.WaitForAsync(
            _server.BaseAddress, "dmvoice_presence_gateway_leases_ended_total", [("how", "lapsed")], v => v == lapsedBefore + 1, "the lease to lapse");
        Assert.Equal(releasedBefore + 1, PrometheusText.Sum(await PrometheusText.ScrapeAsync(_server.BaseAddress), "dmvoice_presence_gateway_leases_ended_total", ("how", "released")));
    }

    [Fact]
    public async Task A_gateway_told_that_its_lease_lapsed_counts_the_lost_lease_and_the_connections_it_closed()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var phone = await alice.ConnectAsync();
        var lapsed = new[] { ("reason", ConnectionCloseReasons.GatewayLeaseLapsed) };
        Assert.Equal(0, PrometheusText.Sum(await PrometheusText.ScrapeAsync(_server.BaseAddress), "dmvoice_gateway_lease_lost_total", lapsed));

        // The cluster drops the gateway's lease (as after a partition longer than the lease); the next renewal hears it.
        var id = _server.Services.GetRequiredService<GatewayInstance>().Id;
        await _server.Services.GetRequiredService<IGrainFactory>().GetGrain<IGatewayLeaseGrain>(id).Release();
        _server.Services.GetRequiredService<GatewayLease>().RenewNow();

        await PrometheusText.WaitForAsync(_server.BaseAddress, "dmvoice_gateway_lease_lost_total", lapsed, v => v == 1, "the lost lease to be counted");
        await PrometheusText.WaitForAsync(_server.BaseAddress, "dmvoice_gateway_connections_closed_total", lapsed, v => v >= 1, "Alice's phone to be closed");
    }
}
