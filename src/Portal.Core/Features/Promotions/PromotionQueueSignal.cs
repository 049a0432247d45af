namespace Portal.Core.Features.Promotions;

/// <summary>
/// Told, within one scope (a Blazor circuit, or an API request where nobody listens), that a promotion request
/// changed, so what shows the approval queue's count can read it again.
/// </summary>
public sealed class PromotionQueueSignal
{
    public event Action? Changed;

    public void Raise() => Changed?.Invoke();
}
