namespace DmVoice.Grains.Users;

/// <summary>Whether any device is connected: others see a user without one as offline, whatever they chose.</summary>
public sealed partial class UserVoiceGrain
{
    public Task<bool> HasLiveDevice() => Task.FromResult(State.Devices.Count > 0);
}
