"""List widgets; CORS is API Gateway's job, not the function's."""


def handler(event, context):
    return {"widgets": ["sprocket", "gear"]}
