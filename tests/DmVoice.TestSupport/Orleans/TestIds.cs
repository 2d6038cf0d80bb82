namespace DmVoice.TestSupport.Orleans;

/// <summary>Unique ids per test, so tests sharing a cluster never see each other's state.</summary>
public static class TestIds
{
    private static int _next;

    public static string User(string name) => $"{name}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid().ToString("N")[..8]}";
}
