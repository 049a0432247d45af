// Each test class starts its own Kestrel server and Chromium; run side by side on a small CI machine they starve
// each other's Blazor circuits past the navigation timeouts, so the browser journeys run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
