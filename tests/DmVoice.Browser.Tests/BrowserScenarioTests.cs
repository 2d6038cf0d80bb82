namespace DmVoice.Browser.Tests;

/// <summary>
/// The reference web client in a real browser against the real gateway, one test per scenario of
/// tests/tools/browser/scenarios. Each scenario signs in two or three people in separate browser
/// contexts and checks what they see; its screenshots land in artifacts/browser.
/// </summary>
public sealed class BrowserScenarioTests(BrowserGateways gateways) : IClassFixture<BrowserGateways>
{
    [Fact]
    public Task One_to_one_call_from_ring_to_history() => RunAsync("one-to-one");

    [Fact]
    public Task Group_call_with_a_decline_a_join_and_a_leave() => RunAsync("group-call");

    [Fact]
    public Task An_unanswered_ring_times_out_into_a_missed_call() => RunAsync("ring-timeout");

    [Fact]
    public Task Answering_in_one_tab_stops_the_ring_in_the_other() => RunAsync("two-tabs");

    [Fact]
    public Task A_member_removed_during_the_call_is_out() => RunAsync("removed-from-dm");

    [Fact]
    public Task Dismissing_silences_only_me_and_the_others_stay_right_across_the_version_gap() => RunAsync("dismiss");

    [Fact]
    public Task After_the_network_drops_and_returns_the_screen_is_right_again() => RunAsync("network-drop");

    [Fact]
    public Task With_LiveKit_configured_a_call_connects_media_with_a_dm_token() => RunAsync("media", gateways.WithUnreachableLiveKit);

    [Fact]
    public Task Voice_channels_from_creation_to_access_with_one_call_at_a_time() => RunAsync("voice-channels");

    [Fact]
    public Task A_call_starts_as_audio_or_video_and_the_buttons_say_why_they_are_off() => RunAsync("video-call");

    [Fact]
    public Task Devices_are_chosen_remembered_switched_and_their_problems_told() => RunAsync("devices");

    [Fact]
    public Task An_incoming_call_rings_aloud_in_the_title_and_as_a_notification_and_stops_with_the_ring() => RunAsync("ringing");

    [Fact]
    public Task The_call_moves_to_another_device_and_back() => RunAsync("seat-moved");

    /// <summary>Needs a LiveKit room: a fake livekit-client stands in for the real one (no LiveKit server runs here).</summary>
    [Fact]
    public Task With_media_connected_the_speaker_is_highlighted_and_connection_quality_shown() => RunAsync("speaking", gateways.WithUnreachableLiveKit);

    private async Task RunAsync(string scenario, BrowserGateway? gateway = null)
    {
        var node = ScenarioRunner.RequireTools();
        var address = await (gateway ?? gateways.Plain).StartAsync(ScenarioRunner.WebClientDist);
        await ScenarioRunner.RunAsync(node, scenario, address);
    }
}
