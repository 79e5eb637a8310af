"""Golden prompts for the formats defined by an official Hugging Face chat template.

Each expected string is what the model's chat template (tokenizer_config.json, cited above each
group) renders for the same messages with transformers' chat template renderer.
"""

from prompt_cases import CLOSED, MULTI, SINGLE, TURNS, WITH_SYSTEM

GOLDEN = [
    # ChatML, from the chat template of teknium/OpenHermes-2.5-Mistral-7B
    ("chatml", "single", SINGLE,
     ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
      "<|im_start|>assistant\n")),
    ("chatml", "system", WITH_SYSTEM,
     ("<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
      "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
      "<|im_start|>assistant\n")),
    ("chatml", "multi", MULTI,
     ("<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
      "<|im_start|>user\nHi!<|im_end|>\n"
      "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
      "<|im_start|>user\nName a prime number.<|im_end|>\n"
      "<|im_start|>assistant\n")),
    # Llama 2, from the chat template of meta-llama/Llama-2-7b-chat-hf
    ("llama-2", "single", SINGLE,
     "<s>[INST] What is the capital of France? [/INST]"),
    ("llama-2", "system", WITH_SYSTEM,
     ("<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\n"
      "What is the capital of France? [/INST]")),
    ("llama-2", "multi", MULTI,
     ("<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\nHi! [/INST]"
      " Hello! How can I help? </s>"
      "<s>[INST] Name a prime number. [/INST]")),
    # Llama 3, from the chat template of meta-llama/Meta-Llama-3-8B-Instruct
    ("llama-3", "single", SINGLE,
     ("<|begin_of_text|>"
      "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n")),
    ("llama-3", "system", WITH_SYSTEM,
     ("<|begin_of_text|>"
      "<|start_header_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n")),
    ("llama-3", "multi", MULTI,
     ("<|begin_of_text|>"
      "<|start_header_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nName a prime number.<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n")),
    # Mistral [INST], from the chat template of mistralai/Mixtral-8x7B-Instruct-v0.1
    # (no system role: see test_prompts_errors.py)
    ("mistral", "single", SINGLE,
     "<s>[INST] What is the capital of France? [/INST]"),
    ("mistral", "multi", TURNS,
     "<s>[INST] Hi! [/INST]Hello! How can I help?</s>[INST] Name a prime number. [/INST]"),
    # Gemma, from the chat template of google/gemma-7b-it (no system role)
    ("gemma", "single", SINGLE,
     ("<bos><start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n"
      "<start_of_turn>model\n")),
    ("gemma", "multi", TURNS,
     ("<bos><start_of_turn>user\nHi!<end_of_turn>\n"
      "<start_of_turn>model\nHello! How can I help?<end_of_turn>\n"
      "<start_of_turn>user\nName a prime number.<end_of_turn>\n"
      "<start_of_turn>model\n")),
    # Zephyr, from the chat template of HuggingFaceH4/zephyr-7b-beta
    ("zephyr", "single", SINGLE,
     "<|user|>\nWhat is the capital of France?</s>\n<|assistant|>\n"),
    ("zephyr", "system", WITH_SYSTEM,
     ("<|system|>\nYou are a concise assistant.</s>\n"
      "<|user|>\nWhat is the capital of France?</s>\n<|assistant|>\n")),
    ("zephyr", "multi", MULTI,
     ("<|system|>\nYou are a concise assistant.</s>\n"
      "<|user|>\nHi!</s>\n"
      "<|assistant|>\nHello! How can I help?</s>\n"
      "<|user|>\nName a prime number.</s>\n"
      "<|assistant|>\n")),
    # Phi-3, from the chat template of microsoft/Phi-3.5-mini-instruct
    ("phi-3", "single", SINGLE,
     "<|user|>\nWhat is the capital of France?<|end|>\n<|assistant|>\n"),
    ("phi-3", "system", WITH_SYSTEM,
     ("<|system|>\nYou are a concise assistant.<|end|>\n"
      "<|user|>\nWhat is the capital of France?<|end|>\n<|assistant|>\n")),
    ("phi-3", "multi", MULTI,
     ("<|system|>\nYou are a concise assistant.<|end|>\n"
      "<|user|>\nHi!<|end|>\n"
      "<|assistant|>\nHello! How can I help?<|end|>\n"
      "<|user|>\nName a prime number.<|end|>\n"
      "<|assistant|>\n")),
    # Tulu 2, from the chat template of allenai/tulu-2-dpo-7b; that template drops a system
    # message, so the system turn is allenai/open-instruct's create_prompt_with_tulu_chat_format
    ("tulu", "single", SINGLE,
     "<|user|>\nWhat is the capital of France?\n<|assistant|>\n"),
    ("tulu", "system", WITH_SYSTEM,
     ("<|system|>\nYou are a concise assistant.\n"
      "<|user|>\nWhat is the capital of France?\n<|assistant|>\n")),
    ("tulu", "multi", MULTI,
     ("<|system|>\nYou are a concise assistant.\n"
      "<|user|>\nHi!\n"
      "<|assistant|>\nHello! How can I help?</s>\n"
      "<|user|>\nName a prime number.\n"
      "<|assistant|>\n")),
    # OpenChat 3.5, from the chat template of openchat/openchat-3.5-0106 (which titles the role
    # name, so a system message is a "GPT4 Correct System" turn)
    ("openchat", "single", SINGLE,
     "<s>GPT4 Correct User: What is the capital of France?<|end_of_turn|>GPT4 Correct Assistant:"),
    ("openchat", "system", WITH_SYSTEM,
     ("<s>GPT4 Correct System: You are a concise assistant.<|end_of_turn|>"
      "GPT4 Correct User: What is the capital of France?<|end_of_turn|>GPT4 Correct Assistant:")),
    ("openchat", "multi", MULTI,
     ("<s>GPT4 Correct System: You are a concise assistant.<|end_of_turn|>"
      "GPT4 Correct User: Hi!<|end_of_turn|>"
      "GPT4 Correct Assistant: Hello! How can I help?<|end_of_turn|>"
      "GPT4 Correct User: Name a prime number.<|end_of_turn|>"
      "GPT4 Correct Assistant:")),
    # DeepSeek LLM Chat, from the chat template of deepseek-ai/deepseek-llm-7b-chat
    ("deepseek", "single", SINGLE,
     "<｜begin▁of▁sentence｜>User: What is the capital of France?\n\nAssistant:"),
    ("deepseek", "system", WITH_SYSTEM,
     ("<｜begin▁of▁sentence｜>You are a concise assistant.\n\n"
      "User: What is the capital of France?\n\nAssistant:")),
    ("deepseek", "multi", MULTI,
     ("<｜begin▁of▁sentence｜>You are a concise assistant.\n\n"
      "User: Hi!\n\n"
      "Assistant: Hello! How can I help?<｜end▁of▁sentence｜>"
      "User: Name a prime number.\n\n"
      "Assistant:")),
    # Command-R, from the default chat template of CohereForAI/c4ai-command-r-v01 (its default
    # preamble is switched off in the template: no system message, no system turn)
    ("command-r", "single", SINGLE,
     ("<BOS_TOKEN><|START_OF_TURN_TOKEN|><|USER_TOKEN|>What is the capital of France?<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")),
    ("command-r", "system", WITH_SYSTEM,
     ("<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a concise assistant.<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>What is the capital of France?<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")),
    ("command-r", "multi", MULTI,
     ("<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a concise assistant.<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi!<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hello! How can I help?<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Name a prime number.<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")),
]

# Finished conversations (no generation prompt), from the same templates.
GOLDEN_CLOSED = [
    ("chatml", CLOSED,
     ("<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
      "<|im_start|>user\nHi!<|im_end|>\n"
      "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
      "<|im_start|>user\nName a prime number.<|im_end|>\n"
      "<|im_start|>assistant\n7<|im_end|>\n")),
    ("llama-2", CLOSED,
     ("<s>[INST] <<SYS>>\nYou are a concise assistant.\n<</SYS>>\n\nHi! [/INST]"
      " Hello! How can I help? </s><s>[INST] Name a prime number. [/INST] 7 </s>")),
    ("mistral", CLOSED[1:],
     "<s>[INST] Hi! [/INST]Hello! How can I help?</s>[INST] Name a prime number. [/INST]7</s>"),
    ("phi-3", CLOSED,
     ("<|system|>\nYou are a concise assistant.<|end|>\n"
      "<|user|>\nHi!<|end|>\n"
      "<|assistant|>\nHello! How can I help?<|end|>\n"
      "<|user|>\nName a prime number.<|end|>\n"
      "<|assistant|>\n7<|end|>\n<|endoftext|>")),
    ("tulu", CLOSED,
     ("<|system|>\nYou are a concise assistant.\n"
      "<|user|>\nHi!\n"
      "<|assistant|>\nHello! How can I help?</s>\n"
      "<|user|>\nName a prime number.\n"
      "<|assistant|>\n7</s>\n")),
    ("openchat", CLOSED,
     ("<s>GPT4 Correct System: You are a concise assistant.<|end_of_turn|>"
      "GPT4 Correct User: Hi!<|end_of_turn|>"
      "GPT4 Correct Assistant: Hello! How can I help?<|end_of_turn|>"
      "GPT4 Correct User: Name a prime number.<|end_of_turn|>"
      "GPT4 Correct Assistant: 7<|end_of_turn|>")),
    ("deepseek", CLOSED,
     ("<｜begin▁of▁sentence｜>You are a concise assistant.\n\n"
      "User: Hi!\n\n"
      "Assistant: Hello! How can I help?<｜end▁of▁sentence｜>"
      "User: Name a prime number.\n\n"
      "Assistant: 7<｜end▁of▁sentence｜>")),
    ("command-r", CLOSED,
     ("<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a concise assistant.<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi!<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hello! How can I help?<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Name a prime number.<|END_OF_TURN_TOKEN|>"
      "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>7<|END_OF_TURN_TOKEN|>")),
]
